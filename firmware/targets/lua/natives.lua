-- Native helpers for the pindai core on Lua 5.3/5.4, handed in before the
-- bundle loads (firmware/core/natives.ts is the one place that takes them).
-- Evaluated as a chunk, it returns { field = ... }: arithmetic in GF(2^255 - 19)
-- on Lua's 64-bit integers, with the same operations and the same results as
-- the portable 16-limb code in firmware/core/field25519.ts.
--
-- Why: on a microcontroller 87 % of a verification is the Lua interpreter
-- loop, so the lever is bytecodes. An element here is 10 integer limbs of
-- 26, 25, 26, ... bits (radix 2^25.5, ref10's layout, array part 1..10): a
-- product is 100 limb products (55 for a square) held in locals, about 310
-- bytecodes against about 3,000 for 256 products over a 0-based table.
--
-- Limb i weighs 2^ceil(25.5 i). f_i g_j lands in limb (i + j) mod 10, times 2
-- when i and j are both odd (two half bits) and times 19 when i + j >= 10
-- (2^255 = 19 mod p); mul and sqr spell that out term by term.
--
-- Bounds: after mul or sqr every limb is within 2^25 (even) or 2^24 (odd) in
-- absolute value (rounded carries). add and sub do not carry: the curve
-- formulas feed mul sums of at most 4 such elements (a canonical unpacked
-- element counts as 2), so every column stays below 2^61 < 2^63.
--
-- Carries need an arithmetic shift and Lua's >> is logical: adding 2^63
-- (math.mininteger, with wrap-around) maps a signed h to the unsigned
-- h + 2^63, whose logical shift is floor(h / 2^n) + 2^(63 - n). So, rounded:
--   c = ((h + 2^(n-1) + mininteger) >> n) - 2^(63 - n)
-- one add, one shift, one subtract, exact for any |h| < 2^63 - 2^(n-1).

local MININT = math.mininteger

--- floor(x / 2^n) for any integer x (an arithmetic shift).
local function sar(x, n)
  return ((x + MININT) >> n) - (1 << (63 - n))
end

local WIDTH = { 26, 25, 26, 25, 26, 25, 26, 25, 26, 25 }

local function fe()
  return { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
end

local function set(r, a)
  r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10] = a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]
end

local function add(r, a, b)
  r[1], r[2], r[3], r[4], r[5] = a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4], a[5] + b[5]
  r[6], r[7], r[8], r[9], r[10] = a[6] + b[6], a[7] + b[7], a[8] + b[8], a[9] + b[9], a[10] + b[10]
end

local function sub(r, a, b)
  r[1], r[2], r[3], r[4], r[5] = a[1] - b[1], a[2] - b[2], a[3] - b[3], a[4] - b[4], a[5] - b[5]
  r[6], r[7], r[8], r[9], r[10] = a[6] - b[6], a[7] - b[7], a[8] - b[8], a[9] - b[9], a[10] - b[10]
end

--- r = the columns h0..h9 of a product, carried: 12 rounded carries in
--- ref10's order (two chains interleaved), 2^255 folded back as 19. One copy
--- for mul and sqr, reached by a tail call (about 3 % of a verification).
local function carryInto(r, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9)
  local c
  c = ((h0 + -9223372036821221376) >> 26) - 137438953472
  h1 = h1 + c
  h0 = h0 - (c << 26)
  c = ((h4 + -9223372036821221376) >> 26) - 137438953472
  h5 = h5 + c
  h4 = h4 - (c << 26)
  c = ((h1 + -9223372036837998592) >> 25) - 274877906944
  h2 = h2 + c
  h1 = h1 - (c << 25)
  c = ((h5 + -9223372036837998592) >> 25) - 274877906944
  h6 = h6 + c
  h5 = h5 - (c << 25)
  c = ((h2 + -9223372036821221376) >> 26) - 137438953472
  h3 = h3 + c
  h2 = h2 - (c << 26)
  c = ((h6 + -9223372036821221376) >> 26) - 137438953472
  h7 = h7 + c
  h6 = h6 - (c << 26)
  c = ((h3 + -9223372036837998592) >> 25) - 274877906944
  h4 = h4 + c
  h3 = h3 - (c << 25)
  c = ((h7 + -9223372036837998592) >> 25) - 274877906944
  h8 = h8 + c
  h7 = h7 - (c << 25)
  c = ((h4 + -9223372036821221376) >> 26) - 137438953472
  h5 = h5 + c
  h4 = h4 - (c << 26)
  c = ((h8 + -9223372036821221376) >> 26) - 137438953472
  h9 = h9 + c
  h8 = h8 - (c << 26)
  c = ((h9 + -9223372036837998592) >> 25) - 274877906944
  h0 = h0 + 19 * c
  h9 = h9 - (c << 25)
  c = ((h0 + -9223372036821221376) >> 26) - 137438953472
  h1 = h1 + c
  h0 = h0 - (c << 26)
  r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10] = h0, h1, h2, h3, h4, h5, h6, h7, h8, h9
end

--- r = f * g mod p (r may alias f or g). 100 products, 12 rounded carries.
local function mul(r, f, g)
  local f0, f1, f2, f3, f4, f5, f6, f7, f8, f9 = f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]
  local g0, g1, g2, g3, g4, g5, g6, g7, g8, g9 = g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10]
  local g1_19, g2_19, g3_19, g4_19, g5_19 = 19 * g1, 19 * g2, 19 * g3, 19 * g4, 19 * g5
  local g6_19, g7_19, g8_19, g9_19 = 19 * g6, 19 * g7, 19 * g8, 19 * g9
  local f1_2, f3_2, f5_2, f7_2, f9_2 = 2 * f1, 2 * f3, 2 * f5, 2 * f7, 2 * f9
  local h0 = f0 * g0 + f1_2 * g9_19 + f2 * g8_19 + f3_2 * g7_19 + f4 * g6_19 + f5_2 * g5_19 + f6 * g4_19 + f7_2 * g3_19 + f8 * g2_19 + f9_2 * g1_19
  local h1 = f0 * g1 + f1 * g0 + f2 * g9_19 + f3 * g8_19 + f4 * g7_19 + f5 * g6_19 + f6 * g5_19 + f7 * g4_19 + f8 * g3_19 + f9 * g2_19
  local h2 = f0 * g2 + f1_2 * g1 + f2 * g0 + f3_2 * g9_19 + f4 * g8_19 + f5_2 * g7_19 + f6 * g6_19 + f7_2 * g5_19 + f8 * g4_19 + f9_2 * g3_19
  local h3 = f0 * g3 + f1 * g2 + f2 * g1 + f3 * g0 + f4 * g9_19 + f5 * g8_19 + f6 * g7_19 + f7 * g6_19 + f8 * g5_19 + f9 * g4_19
  local h4 = f0 * g4 + f1_2 * g3 + f2 * g2 + f3_2 * g1 + f4 * g0 + f5_2 * g9_19 + f6 * g8_19 + f7_2 * g7_19 + f8 * g6_19 + f9_2 * g5_19
  local h5 = f0 * g5 + f1 * g4 + f2 * g3 + f3 * g2 + f4 * g1 + f5 * g0 + f6 * g9_19 + f7 * g8_19 + f8 * g7_19 + f9 * g6_19
  local h6 = f0 * g6 + f1_2 * g5 + f2 * g4 + f3_2 * g3 + f4 * g2 + f5_2 * g1 + f6 * g0 + f7_2 * g9_19 + f8 * g8_19 + f9_2 * g7_19
  local h7 = f0 * g7 + f1 * g6 + f2 * g5 + f3 * g4 + f4 * g3 + f5 * g2 + f6 * g1 + f7 * g0 + f8 * g9_19 + f9 * g8_19
  local h8 = f0 * g8 + f1_2 * g7 + f2 * g6 + f3_2 * g5 + f4 * g4 + f5_2 * g3 + f6 * g2 + f7_2 * g1 + f8 * g0 + f9_2 * g9_19
  local h9 = f0 * g9 + f1 * g8 + f2 * g7 + f3 * g6 + f4 * g5 + f5 * g4 + f6 * g3 + f7 * g2 + f8 * g1 + f9 * g0
  return carryInto(r, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9)
end

--- r = f^2 mod p: the 45 cross products of mul appear twice, so 55 products.
local function sqr(r, f)
  local f0, f1, f2, f3, f4, f5, f6, f7, f8, f9 = f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]
  local f0_2, f1_2, f2_2, f3_2, f4_2 = 2 * f0, 2 * f1, 2 * f2, 2 * f3, 2 * f4
  local f1_4, f3_4 = 4 * f1, 4 * f3
  local f6_19, f8_19 = 19 * f6, 19 * f8
  local f2_38, f3_38, f4_38, f5_38, f6_38, f7_38, f8_38, f9_38 = 38 * f2, 38 * f3, 38 * f4, 38 * f5, 38 * f6, 38 * f7, 38 * f8, 38 * f9
  local f1_76, f3_76, f5_76, f7_76 = 76 * f1, 76 * f3, 76 * f5, 76 * f7
  local h0 = f0 * f0 + f1_76 * f9 + f2_38 * f8 + f3_76 * f7 + f4_38 * f6 + f5_38 * f5
  local h1 = f0_2 * f1 + f2_38 * f9 + f3_38 * f8 + f4_38 * f7 + f5_38 * f6
  local h2 = f0_2 * f2 + f1_2 * f1 + f3_76 * f9 + f4_38 * f8 + f5_76 * f7 + f6_19 * f6
  local h3 = f0_2 * f3 + f1_2 * f2 + f4_38 * f9 + f5_38 * f8 + f6_38 * f7
  local h4 = f0_2 * f4 + f1_4 * f3 + f2 * f2 + f5_76 * f9 + f6_38 * f8 + f7_38 * f7
  local h5 = f0_2 * f5 + f1_2 * f4 + f2_2 * f3 + f6_38 * f9 + f7_38 * f8
  local h6 = f0_2 * f6 + f1_4 * f5 + f2_2 * f4 + f3_2 * f3 + f7_76 * f9 + f8_19 * f8
  local h7 = f0_2 * f7 + f1_2 * f6 + f2_2 * f5 + f3_2 * f4 + f8_38 * f9
  local h8 = f0_2 * f8 + f1_4 * f7 + f2_2 * f6 + f3_4 * f5 + f4 * f4 + f9_38 * f9
  local h9 = f0_2 * f9 + f1_2 * f8 + f2_2 * f7 + f3_2 * f6 + f4_2 * f5
  return carryInto(r, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9)
end

--- r = the 255 low bits of the 32 little-endian bytes b[at .. at + 31] (a
--- 0-based Bytes table): limb i is 4 bytes read from bit ceil(25.5 i).
local function unpackAt(r, b, at)
  local b0, b1, b2, b3, b4, b5, b6, b7 = b[at], b[at + 1], b[at + 2], b[at + 3], b[at + 4], b[at + 5], b[at + 6], b[at + 7]
  local b8, b9, b10, b11, b12, b13, b14, b15 = b[at + 8], b[at + 9], b[at + 10], b[at + 11], b[at + 12], b[at + 13], b[at + 14], b[at + 15]
  local b16, b17, b18, b19, b20, b21, b22, b23 = b[at + 16], b[at + 17], b[at + 18], b[at + 19], b[at + 20], b[at + 21], b[at + 22], b[at + 23]
  local b24, b25, b26, b27, b28, b29, b30, b31 = b[at + 24], b[at + 25], b[at + 26], b[at + 27], b[at + 28], b[at + 29], b[at + 30], b[at + 31]
  r[1] = (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) & 0x3ffffff
  r[2] = ((b3 | (b4 << 8) | (b5 << 16) | (b6 << 24)) >> 2) & 0x1ffffff
  r[3] = ((b6 | (b7 << 8) | (b8 << 16) | (b9 << 24)) >> 3) & 0x3ffffff
  r[4] = ((b9 | (b10 << 8) | (b11 << 16) | (b12 << 24)) >> 5) & 0x1ffffff
  r[5] = ((b12 | (b13 << 8) | (b14 << 16) | (b15 << 24)) >> 6) & 0x3ffffff
  r[6] = (b16 | (b17 << 8) | (b18 << 16) | (b19 << 24)) & 0x1ffffff
  r[7] = ((b19 | (b20 << 8) | (b21 << 16) | (b22 << 24)) >> 1) & 0x3ffffff
  r[8] = ((b22 | (b23 << 8) | (b24 << 16) | (b25 << 24)) >> 3) & 0x1ffffff
  r[9] = ((b25 | (b26 << 8) | (b27 << 16) | (b28 << 24)) >> 4) & 0x3ffffff
  r[10] = ((b28 | (b29 << 8) | (b30 << 16) | (b31 << 24)) >> 6) & 0x1ffffff
end

--- From 32 little-endian bytes; the top bit (a sign bit in point encodings) is ignored.
local function unpack(r, b)
  unpackAt(r, b, 0)
end

--- o[0..31] = the canonical little-endian encoding (fully reduced below p).
local function pack(o, a)
  local h = { a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10] }
  -- Two rounded carry passes bring any sum the core makes within 2^25 / 2^24 per limb.
  for _ = 1, 2 do
    for i = 1, 10 do
      local w = WIDTH[i]
      local c = sar(h[i] + (1 << (w - 1)), w)
      h[i] = h[i] - (c << w)
      if i == 10 then h[1] = h[1] + 19 * c else h[i + 1] = h[i + 1] + c end
    end
  end
  -- q = floor(h / p), in -1..1 (ref10's fe_tobytes): then h - q p is h + 19 q
  -- with bit 255 dropped, carried so every limb is in [0, 2^width).
  local q = sar(19 * h[10] + (1 << 24), 25)
  for i = 1, 10 do q = sar(h[i] + q, WIDTH[i]) end
  h[1] = h[1] + 19 * q
  for i = 1, 9 do
    local c = sar(h[i], WIDTH[i])
    h[i + 1] = h[i + 1] + c
    h[i] = h[i] - (c << WIDTH[i])
  end
  h[10] = h[10] & 0x1ffffff
  local acc, bits, n = 0, 0, 0
  for i = 1, 10 do
    acc = acc | (h[i] << bits)
    bits = bits + WIDTH[i]
    while bits >= 8 do
      o[n] = acc & 255
      acc, bits, n = acc >> 8, bits - 8, n + 1
    end
  end
  o[31] = acc & 255
end

return { field = { fe = fe, set = set, add = add, sub = sub, mul = mul, sqr = sqr, pack = pack, unpack = unpack, unpackAt = unpackAt } }
