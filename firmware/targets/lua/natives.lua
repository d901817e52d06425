-- Native helpers for the pindai core on Lua 5.3/5.4, handed in before the
-- bundle loads (firmware/core/natives.ts is the one place that takes them).
-- Evaluated as a chunk, it returns { field, curve, reduce64, sha512, sha256, compactBytes, stringBytes, allocBytes, concatBytes }: arithmetic in
-- GF(2^255 - 19) on Lua's 64-bit integers, with the same operations and the
-- same results as the portable 16-limb code in firmware/core/field25519.ts,
-- SHA-512 on 64-bit words (firmware/core/sha512.ts works on 32-bit halves),
-- and read-only bytes in strings for the precomputed tables.
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

-- The GC: Lua's default (pause 200) starts a cycle when the heap has doubled
-- since the last one, so a verification peaked at the live heap plus as much
-- garbage (245 KB on a Cortex-M4). Pause 105 with a fast step (stepmul 1000)
-- starts a cycle at 5 % growth and finishes it soon: a verification or a scan
-- peaks at the live heap plus about 26 KB, for 1 % more instructions (pause
-- 100 costs 11 % per verification and 65 % per scan: every cycle marks the
-- whole bundle's code; generational mode and a smaller step size gave no
-- lower peak). Measured with bench/cortex-m.ts; setpause and setstepmul work
-- on 5.3 and 5.4. Lua 5.3 (NodeMCU's) does less work a step for the same
-- stepmul and left 80-110 KB above the live heap: there a cycle runs nearly
-- whole once started (stepmul 20000; the image in flash, on the model: peaks
-- 231 -> 165 KB at boot and 211 -> 163 KB a scan, for 12 % more instructions).
collectgarbage("setpause", 105)
collectgarbage("setstepmul", _VERSION == "Lua 5.3" and 20000 or 1000)

local MININT = math.mininteger

--- floor(x / 2^n) for any integer x (an arithmetic shift).
local function sar(x, n)
  return ((x + MININT) >> n) - (1 << (63 - n))
end

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

--- r = f * g mod p (r may alias f or g). 100 products, then the columns
--- carried: 12 rounded carries in ref10's order (two chains interleaved),
--- 2^255 folded back as 19.
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
  -- The carries inline, as in sqrn: a call with 11 arguments costs about as
  -- much as 3 of them (mul is 60 % of a verification with tables).
  local c
  c = ((h0 + -9223372036821221376) >> 26) - 137438953472; h1 = h1 + c; h0 = h0 - (c << 26)
  c = ((h4 + -9223372036821221376) >> 26) - 137438953472; h5 = h5 + c; h4 = h4 - (c << 26)
  c = ((h1 + -9223372036837998592) >> 25) - 274877906944; h2 = h2 + c; h1 = h1 - (c << 25)
  c = ((h5 + -9223372036837998592) >> 25) - 274877906944; h6 = h6 + c; h5 = h5 - (c << 25)
  c = ((h2 + -9223372036821221376) >> 26) - 137438953472; h3 = h3 + c; h2 = h2 - (c << 26)
  c = ((h6 + -9223372036821221376) >> 26) - 137438953472; h7 = h7 + c; h6 = h6 - (c << 26)
  c = ((h3 + -9223372036837998592) >> 25) - 274877906944; h4 = h4 + c; h3 = h3 - (c << 25)
  c = ((h7 + -9223372036837998592) >> 25) - 274877906944; h8 = h8 + c; h7 = h7 - (c << 25)
  c = ((h4 + -9223372036821221376) >> 26) - 137438953472; h5 = h5 + c; h4 = h4 - (c << 26)
  c = ((h8 + -9223372036821221376) >> 26) - 137438953472; h9 = h9 + c; h8 = h8 - (c << 26)
  c = ((h9 + -9223372036837998592) >> 25) - 274877906944; h0 = h0 + 19 * c; h9 = h9 - (c << 25)
  c = ((h0 + -9223372036821221376) >> 26) - 137438953472; h1 = h1 + c; h0 = h0 - (c << 26)
  r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10] = h0, h1, h2, h3, h4, h5, h6, h7, h8, h9
end

--- r = a^(2^n) (n >= 1, default 1: sqr): the 45 cross products of mul appear
--- twice, so 55 products a squaring, n times on locals (no table read, write
--- or call between squarings: about a fifth less than n separate squarings).
local function sqrn(r, a, n)
  local f0, f1, f2, f3, f4, f5, f6, f7, f8, f9 = a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]
  for _ = 1, n or 1 do
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
    -- mul's carries, in the same order
    local c
    c = ((h0 + -9223372036821221376) >> 26) - 137438953472; h1 = h1 + c; h0 = h0 - (c << 26)
    c = ((h4 + -9223372036821221376) >> 26) - 137438953472; h5 = h5 + c; h4 = h4 - (c << 26)
    c = ((h1 + -9223372036837998592) >> 25) - 274877906944; h2 = h2 + c; h1 = h1 - (c << 25)
    c = ((h5 + -9223372036837998592) >> 25) - 274877906944; h6 = h6 + c; h5 = h5 - (c << 25)
    c = ((h2 + -9223372036821221376) >> 26) - 137438953472; h3 = h3 + c; h2 = h2 - (c << 26)
    c = ((h6 + -9223372036821221376) >> 26) - 137438953472; h7 = h7 + c; h6 = h6 - (c << 26)
    c = ((h3 + -9223372036837998592) >> 25) - 274877906944; h4 = h4 + c; h3 = h3 - (c << 25)
    c = ((h7 + -9223372036837998592) >> 25) - 274877906944; h8 = h8 + c; h7 = h7 - (c << 25)
    c = ((h4 + -9223372036821221376) >> 26) - 137438953472; h5 = h5 + c; h4 = h4 - (c << 26)
    c = ((h8 + -9223372036821221376) >> 26) - 137438953472; h9 = h9 + c; h8 = h8 - (c << 26)
    c = ((h9 + -9223372036837998592) >> 25) - 274877906944; h0 = h0 + 19 * c; h9 = h9 - (c << 25)
    c = ((h0 + -9223372036821221376) >> 26) - 137438953472; h1 = h1 + c; h0 = h0 - (c << 26)
    f0, f1, f2, f3, f4, f5, f6, f7, f8, f9 = h0, h1, h2, h3, h4, h5, h6, h7, h8, h9
  end
  r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10] = f0, f1, f2, f3, f4, f5, f6, f7, f8, f9
end

local sqr = sqrn

--- r = the 255 low bits of 32 little-endian byte values: limb i is 4 bytes
--- read from bit ceil(25.5 i).
local function limbs(r, b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16, b17, b18, b19, b20, b21, b22, b23, b24, b25, b26, b27, b28, b29, b30, b31)
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

local sbyte = string.byte
local sunpack = string.unpack

--- r = the element at b[at .. at + 31], b a Bytes table or compact (below).
--- From a string, as four 64-bit little-endian words in one string.unpack
--- (the limbs are bits 0, 26, 51, 77, 102 | 128, 153, 179, 204, 230): about
--- a third of the bytecodes of 32 bytes through limbs, 3 per table addition.
local function unpackAt(r, b, at)
  local s = b.s
  if s then
    local q0, q1, q2, q3 = sunpack("<i8i8i8i8", s, at + 1)
    r[1], r[2], r[3], r[4], r[5] = q0 & 0x3ffffff, (q0 >> 26) & 0x1ffffff, ((q0 >> 51) | (q1 << 13)) & 0x3ffffff, (q1 >> 13) & 0x1ffffff, (q1 >> 38) & 0x3ffffff
    r[6], r[7], r[8], r[9], r[10] = q2 & 0x1ffffff, (q2 >> 25) & 0x3ffffff, ((q2 >> 51) | (q3 << 13)) & 0x1ffffff, (q3 >> 12) & 0x3ffffff, (q3 >> 38) & 0x1ffffff
    return
  end
  return limbs(r,
    b[at], b[at + 1], b[at + 2], b[at + 3], b[at + 4], b[at + 5], b[at + 6], b[at + 7],
    b[at + 8], b[at + 9], b[at + 10], b[at + 11], b[at + 12], b[at + 13], b[at + 14], b[at + 15],
    b[at + 16], b[at + 17], b[at + 18], b[at + 19], b[at + 20], b[at + 21], b[at + 22], b[at + 23],
    b[at + 24], b[at + 25], b[at + 26], b[at + 27], b[at + 28], b[at + 29], b[at + 30], b[at + 31])
end

-- Compact Bytes: bytes held in a string, 1 byte per byte where a Bytes
-- table costs 16 (a precomputed table: 12 KB instead of 196 KB). b[i] and
-- b.length read as from any Bytes; unpackAt and the hashes read the string
-- directly. The first write makes it a plain Bytes table again, every byte
-- copied out of the string, so the string never differs from what b[i] reads.
local STRING_BYTES = {}
STRING_BYTES.__index = function(t, i) return sbyte(t.s, i + 1) end
STRING_BYTES.__newindex = function(t, i, v)
  local s = t.s
  setmetatable(t, nil)
  t.s = nil
  for k = 0, #s - 1 do t[k] = sbyte(s, k + 1) end
  t[i] = v
end

-- A new zeroed Bytes table, its array part sized once. Filled a key at a
-- time, a table's array part doubles as it grows: up to twice the room it
-- needs (512 slots of 16 bytes for a 257-byte buffer), and each smaller part
-- left behind as garbage. A constructor's last call spreads its values into
-- an array part of exactly that many: b[0] goes to the hash part, as any
-- Bytes table has it, and b[1 .. n-1] come from string.byte of zeros.
local srep = string.rep
local function allocBytes(n)
  if n > 1 and n <= 1024 then return { length = n, [0] = 0, sbyte(srep("\0", n - 1), 1, n - 1) } end
  local t = { length = n }
  for i = 0, n - 1 do t[i] = 0 end
  return t
end

--- The bytes of the string s as compact Bytes (a flash file read: 1 byte per
--- byte in RAM where a Bytes table costs 16).
local function stringBytes(s)
  return setmetatable({ length = #s, s = s }, STRING_BYTES)
end

--- The parts one after another (bytes.ts concat), as compact Bytes: what is
--- concatenated is hashed, compared or written (a Sig_structure, HMAC's
--- inner block, a record), and a table of it would cost 16 bytes a byte.
local function concatBytes(parts)
  local strs, n = {}, 0
  for k = 1, #parts do
    local p = parts[k]
    local ps = p.s
    if ps == nil then
      local len = p.length
      for i = 0, len - 1, 256 do strs[#strs + 1] = string.char(table.unpack(p, i, math.min(i + 255, len - 1))) end
    else
      strs[#strs + 1] = ps
    end
    n = n + p.length
  end
  return setmetatable({ length = n, s = table.concat(strs) }, STRING_BYTES)
end

--- The same bytes as b, compact.
local function compact(b)
  return concatBytes({ b })
end

--- From 32 little-endian bytes; the top bit (a sign bit in point encodings) is ignored.
local function unpack(r, b)
  unpackAt(r, b, 0)
end

--- o[0..31] = the canonical little-endian encoding (fully reduced below p).
--- On locals: about a sixth of the bytecodes of loops over a table.
local function pack(o, a)
  local h0, h1, h2, h3, h4, h5, h6, h7, h8, h9 = a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]
  -- Two rounded carry passes bring any sum the core makes within 2^25 / 2^24 per limb.
  for _ = 1, 2 do
    local c
    c = ((h0 + -9223372036821221376) >> 26) - 137438953472; h0 = h0 - (c << 26); h1 = h1 + c
    c = ((h1 + -9223372036837998592) >> 25) - 274877906944; h1 = h1 - (c << 25); h2 = h2 + c
    c = ((h2 + -9223372036821221376) >> 26) - 137438953472; h2 = h2 - (c << 26); h3 = h3 + c
    c = ((h3 + -9223372036837998592) >> 25) - 274877906944; h3 = h3 - (c << 25); h4 = h4 + c
    c = ((h4 + -9223372036821221376) >> 26) - 137438953472; h4 = h4 - (c << 26); h5 = h5 + c
    c = ((h5 + -9223372036837998592) >> 25) - 274877906944; h5 = h5 - (c << 25); h6 = h6 + c
    c = ((h6 + -9223372036821221376) >> 26) - 137438953472; h6 = h6 - (c << 26); h7 = h7 + c
    c = ((h7 + -9223372036837998592) >> 25) - 274877906944; h7 = h7 - (c << 25); h8 = h8 + c
    c = ((h8 + -9223372036821221376) >> 26) - 137438953472; h8 = h8 - (c << 26); h9 = h9 + c
    c = ((h9 + -9223372036837998592) >> 25) - 274877906944; h9 = h9 - (c << 25); h0 = h0 + 19 * c
  end
  -- q = floor(h / p), in -1..1 (ref10's fe_tobytes): then h - q p is h + 19 q
  -- with bit 255 dropped, carried so every limb is in [0, 2^width).
  local q = sar(19 * h9 + (1 << 24), 25)
  q = sar(h0 + q, 26); q = sar(h1 + q, 25); q = sar(h2 + q, 26); q = sar(h3 + q, 25); q = sar(h4 + q, 26)
  q = sar(h5 + q, 25); q = sar(h6 + q, 26); q = sar(h7 + q, 25); q = sar(h8 + q, 26); q = sar(h9 + q, 25)
  h0 = h0 + 19 * q
  local c
  c = sar(h0, 26); h1 = h1 + c; h0 = h0 - (c << 26)
  c = sar(h1, 25); h2 = h2 + c; h1 = h1 - (c << 25)
  c = sar(h2, 26); h3 = h3 + c; h2 = h2 - (c << 26)
  c = sar(h3, 25); h4 = h4 + c; h3 = h3 - (c << 25)
  c = sar(h4, 26); h5 = h5 + c; h4 = h4 - (c << 26)
  c = sar(h5, 25); h6 = h6 + c; h5 = h5 - (c << 25)
  c = sar(h6, 26); h7 = h7 + c; h6 = h6 - (c << 26)
  c = sar(h7, 25); h8 = h8 + c; h7 = h7 - (c << 25)
  c = sar(h8, 26); h9 = h9 + c; h8 = h8 - (c << 26)
  h9 = h9 & 0x1ffffff
  -- The limbs at bits 0, 26, 51, 77, 102 | 128, 153, 179, 204, 230 as four 64-bit words.
  local w0 = h0 | (h1 << 26) | (h2 << 51)
  local w1 = (h2 >> 13) | (h3 << 13) | (h4 << 38)
  local w2 = h5 | (h6 << 25) | (h7 << 51)
  local w3 = (h7 >> 13) | (h8 << 12) | (h9 << 38)
  for i = 0, 7 do
    local k = 8 * i
    o[i], o[i + 8], o[i + 16], o[i + 24] = (w0 >> k) & 255, (w1 >> k) & 255, (w2 >> k) & 255, (w3 >> k) & 255
  end
end

-- z^(2^250 - 1) and z^11 by ref10's addition chain (field25519.ts chain250):
-- 250 squarings, 11 products. Scratch reused (nothing here is re-entered).
local z2, z9, z11, t0, t1, t10, t50, t250 = fe(), fe(), fe(), fe(), fe(), fe(), fe(), fe()
local function chain250(z)
  sqr(z2, z)
  sqrn(t0, z2, 2)
  mul(z9, z, t0)
  mul(z11, z2, z9)
  sqr(t0, z11)
  mul(t0, z9, t0)
  sqrn(t1, t0, 5)
  mul(t1, t1, t0)
  set(t10, t1)
  sqrn(t0, t1, 10)
  mul(t0, t0, t10)
  sqrn(t250, t0, 20)
  mul(t250, t250, t0)
  sqrn(t250, t250, 10)
  mul(t250, t250, t10)
  set(t50, t250)
  sqrn(t0, t250, 50)
  mul(t0, t0, t50)
  sqrn(t1, t0, 100)
  mul(t1, t1, t0)
  sqrn(t1, t1, 50)
  mul(t250, t1, t50)
end

--- r = 1/z = z^(p - 2).
local function inv(r, z)
  chain250(z)
  sqrn(t0, t250, 5)
  mul(r, t0, z11)
end

--- r = z^((p - 5) / 8) = z^(2^252 - 3), the square root's power.
local function pow2523(r, z)
  chain250(z)
  sqrn(t0, t250, 2)
  mul(r, t0, z)
end

-- Scalars mod L ------------------------------------------------------------
-- L = 2^252 + 27742317777372353535851937790883648493.

-- 2^252 mod L, that is -(L - 2^252), in six signed 21-bit limbs (ref10's sc_reduce).
local FOLD = { [0] = 666643, 470296, 654183, -997805, 136657, -683901 }
-- The order of ref10's carries after the first folds (rounded), and after the second.
local CARRY_HIGH = { 6, 8, 10, 12, 14, 16, 7, 9, 11, 13, 15 }
local CARRY_LOW = { 0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11 }

--- s[i] folded into s[i - 12 .. i - 7] (s[i] 2^(21 i) = s[i] 2^(21 (i - 12)) 2^252).
local function fold(s, i)
  local v = s[i]
  for j = 0, 5 do s[i - 12 + j] = s[i - 12 + j] + v * FOLD[j] end
  s[i] = 0
end

--- A 64-byte little-endian number mod L as new Bytes of 32: ref10's
--- sc_reduce on 24 limbs of 21 bits, folded from the top with 2^252 mod L
--- (about a twentieth of the bytecodes of a byte-wise reduction).
local function reduce64(h)
  local s = {}
  for i = 0, 23 do
    local at, shift = (21 * i) >> 3, (21 * i) & 7
    local v = (h[at] | (h[at + 1] << 8) | (h[at + 2] << 16) | (h[at + 3] << 24)) >> shift
    s[i] = i == 23 and v or v & 0x1fffff
  end
  for i = 23, 18, -1 do fold(s, i) end
  for _, i in ipairs(CARRY_HIGH) do
    local c = (s[i] + 1048576) // 2097152
    s[i + 1], s[i] = s[i + 1] + c, s[i] - c * 2097152
  end
  for i = 17, 12, -1 do fold(s, i) end
  for _, i in ipairs(CARRY_LOW) do
    local c = (s[i] + 1048576) // 2097152
    s[i + 1], s[i] = s[i + 1] + c, s[i] - c * 2097152
  end
  for _ = 1, 2 do
    fold(s, 12)
    for i = 0, 11 do
      local c = s[i] // 2097152
      s[i + 1], s[i] = s[i + 1] + c, s[i] - c * 2097152
    end
  end
  local r, acc, bits, n = allocBytes(32), 0, 0, 0
  for i = 0, 11 do
    acc, bits = acc | (s[i] << bits), bits + 21
    while bits >= 8 do
      r[n], acc, bits, n = acc & 255, acc >> 8, bits - 8, n + 1
    end
  end
  r[31] = acc
  return r
end

-- Points ---------------------------------------------------------------------
-- The core's formulas (ed25519-curve.ts: dbl-2008-hwcd, add-2008-hwcd-3 with
-- a = -1; ed25519-table.ts madd), so every sum fed to mul stays within the
-- bounds above, with two savings: T is computed only where the next step
-- reads it, and a point added many times is kept "cached" (Y + X, Y - X, Z,
-- 2d T: 8 products an addition instead of 9).
local ZERO = fe()
local D2 = fe()
do
  local d2 = { 0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0, 0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df, 0xd9dc, 0x2406 }
  local b = {}
  for i = 1, 16 do b[2 * i - 2], b[2 * i - 1] = d2[i] & 255, d2[i] >> 8 end
  unpack(D2, b)
end
local pa, pb, pc, pd, pe, pf, pg, ph = fe(), fe(), fe(), fe(), fe(), fe(), fe(), fe()

--- The doubling's sums in one pass: E = E - A - B, G = B - A, F = 2C - G, H = A + B
--- (F and H are the negated F and H of dbl-2008-hwcd: the point's four
--- coordinates all change sign, which leaves the point as it is).
local function dblMix(e, g, f, h, a, b, c)
  do local ai, bi = a[1], b[1]; local gi = bi - ai; e[1] = e[1] - ai - bi; g[1] = gi; f[1] = 2 * c[1] - gi; h[1] = ai + bi end
  do local ai, bi = a[2], b[2]; local gi = bi - ai; e[2] = e[2] - ai - bi; g[2] = gi; f[2] = 2 * c[2] - gi; h[2] = ai + bi end
  do local ai, bi = a[3], b[3]; local gi = bi - ai; e[3] = e[3] - ai - bi; g[3] = gi; f[3] = 2 * c[3] - gi; h[3] = ai + bi end
  do local ai, bi = a[4], b[4]; local gi = bi - ai; e[4] = e[4] - ai - bi; g[4] = gi; f[4] = 2 * c[4] - gi; h[4] = ai + bi end
  do local ai, bi = a[5], b[5]; local gi = bi - ai; e[5] = e[5] - ai - bi; g[5] = gi; f[5] = 2 * c[5] - gi; h[5] = ai + bi end
  do local ai, bi = a[6], b[6]; local gi = bi - ai; e[6] = e[6] - ai - bi; g[6] = gi; f[6] = 2 * c[6] - gi; h[6] = ai + bi end
  do local ai, bi = a[7], b[7]; local gi = bi - ai; e[7] = e[7] - ai - bi; g[7] = gi; f[7] = 2 * c[7] - gi; h[7] = ai + bi end
  do local ai, bi = a[8], b[8]; local gi = bi - ai; e[8] = e[8] - ai - bi; g[8] = gi; f[8] = 2 * c[8] - gi; h[8] = ai + bi end
  do local ai, bi = a[9], b[9]; local gi = bi - ai; e[9] = e[9] - ai - bi; g[9] = gi; f[9] = 2 * c[9] - gi; h[9] = ai + bi end
  do local ai, bi = a[10], b[10]; local gi = bi - ai; e[10] = e[10] - ai - bi; g[10] = gi; f[10] = 2 * c[10] - gi; h[10] = ai + bi end
end
--- s = y + x, d = y - x in one pass.
local function sumDiff(s, d, y, x)
  do local yi, xi = y[1], x[1]; s[1] = yi + xi; d[1] = yi - xi end
  do local yi, xi = y[2], x[2]; s[2] = yi + xi; d[2] = yi - xi end
  do local yi, xi = y[3], x[3]; s[3] = yi + xi; d[3] = yi - xi end
  do local yi, xi = y[4], x[4]; s[4] = yi + xi; d[4] = yi - xi end
  do local yi, xi = y[5], x[5]; s[5] = yi + xi; d[5] = yi - xi end
  do local yi, xi = y[6], x[6]; s[6] = yi + xi; d[6] = yi - xi end
  do local yi, xi = y[7], x[7]; s[7] = yi + xi; d[7] = yi - xi end
  do local yi, xi = y[8], x[8]; s[8] = yi + xi; d[8] = yi - xi end
  do local yi, xi = y[9], x[9]; s[9] = yi + xi; d[9] = yi - xi end
  do local yi, xi = y[10], x[10]; s[10] = yi + xi; d[10] = yi - xi end
end
--- The addition's sums in one pass: E = B - A, H = B + A, F = 2D - C, G = 2D + C (C negated when neg).
local function addMix(e, h, f, g, a, b, c, d, neg)
  local sc = neg and -1 or 1
  do local ai, bi, ci, di = a[1], b[1], sc * c[1], 2 * d[1]; e[1] = bi - ai; h[1] = bi + ai; f[1] = di - ci; g[1] = di + ci end
  do local ai, bi, ci, di = a[2], b[2], sc * c[2], 2 * d[2]; e[2] = bi - ai; h[2] = bi + ai; f[2] = di - ci; g[2] = di + ci end
  do local ai, bi, ci, di = a[3], b[3], sc * c[3], 2 * d[3]; e[3] = bi - ai; h[3] = bi + ai; f[3] = di - ci; g[3] = di + ci end
  do local ai, bi, ci, di = a[4], b[4], sc * c[4], 2 * d[4]; e[4] = bi - ai; h[4] = bi + ai; f[4] = di - ci; g[4] = di + ci end
  do local ai, bi, ci, di = a[5], b[5], sc * c[5], 2 * d[5]; e[5] = bi - ai; h[5] = bi + ai; f[5] = di - ci; g[5] = di + ci end
  do local ai, bi, ci, di = a[6], b[6], sc * c[6], 2 * d[6]; e[6] = bi - ai; h[6] = bi + ai; f[6] = di - ci; g[6] = di + ci end
  do local ai, bi, ci, di = a[7], b[7], sc * c[7], 2 * d[7]; e[7] = bi - ai; h[7] = bi + ai; f[7] = di - ci; g[7] = di + ci end
  do local ai, bi, ci, di = a[8], b[8], sc * c[8], 2 * d[8]; e[8] = bi - ai; h[8] = bi + ai; f[8] = di - ci; g[8] = di + ci end
  do local ai, bi, ci, di = a[9], b[9], sc * c[9], 2 * d[9]; e[9] = bi - ai; h[9] = bi + ai; f[9] = di - ci; g[9] = di + ci end
  do local ai, bi, ci, di = a[10], b[10], sc * c[10], 2 * d[10]; e[10] = bi - ai; h[10] = bi + ai; f[10] = di - ci; g[10] = di + ci end
end

--- q = 2q (q = { X, Y, Z, T }); T only when needT.
local function dbl(q, needT)
  local X, Y, Z = q[1], q[2], q[3]
  sqr(pa, X)
  sqr(pb, Y)
  sqr(pc, Z)
  add(pe, X, Y)
  sqr(pe, pe)
  dblMix(pe, pg, pf, ph, pa, pb, pc)
  mul(X, pe, pf)
  mul(Y, pg, ph)
  mul(Z, pf, pg)
  if needT then mul(q[4], pe, ph) end
end

--- q = q + (Y + X, Y - X, Z, 2d T) of a point, or minus it when neg; Z nil for 1
--- (an affine entry); T only when needT.
local function addParts(q, ypx, ymx, z, t2d, neg, needT)
  local X, Y, Z = q[1], q[2], q[3]
  if neg then ypx, ymx = ymx, ypx end
  sumDiff(pb, pa, Y, X)
  mul(pa, pa, ymx)
  mul(pb, pb, ypx)
  mul(pc, q[4], t2d)
  if z then mul(pd, Z, z) else set(pd, Z) end
  addMix(pe, ph, pf, pg, pa, pb, pc, pd, neg)
  mul(X, pe, pf)
  mul(Y, pg, ph)
  mul(Z, pf, pg)
  if needT then mul(q[4], pe, ph) end
end

--- q = q + c (c cached: { Y + X, Y - X, Z, 2d T }), or q - c when neg; T only when needT.
local function addCached(q, c, neg, needT)
  addParts(q, c[1], c[2], c[3], c[4], neg, needT)
end

-- The base point's odd multiples B, 3B, ..., 15B, as constants: in flash with
-- the code where the image is (NodeMCU's LFS), where a table of them held 7 KB
-- of RAM from the first verification on. The build writes the string
-- (host/build/lua-natives.ts, computed with the portable core): B's x and y,
-- then per multiple the entry of ed25519-table.ts (y + x, y - x, 2d x y: affine,
-- canonical), 32 bytes each, read with unpackAt.
--@baseOddMultiples
local BASE_BYTES = { s = BASE_ODD }
local ea, eb, ec = fe(), fe(), fe()

--- True when p is the base point as the core holds it (ed25519.ts BASE: canonical limbs, Z = 1).
local function isBase(p)
  local z = p.z
  if z[1] ~= 1 or z[2] ~= 0 or z[3] ~= 0 or z[4] ~= 0 or z[5] ~= 0 or z[6] ~= 0 or z[7] ~= 0 or z[8] ~= 0 or z[9] ~= 0 or z[10] ~= 0 then return false end
  unpackAt(ea, BASE_BYTES, 0)
  unpackAt(eb, BASE_BYTES, 32)
  local x, y = p.x, p.y
  for i = 1, 10 do if x[i] ~= ea[i] or y[i] ~= eb[i] then return false end end
  return true
end

--- q = q + kB (k odd, 1 to 15), or q - kB when neg; T only when needT.
local function addBase(q, k, neg, needT)
  local at = 64 + ((k - 1) >> 1) * 96
  unpackAt(ea, BASE_BYTES, at)
  unpackAt(eb, BASE_BYTES, at + 32)
  unpackAt(ec, BASE_BYTES, at + 64)
  addParts(q, ea, eb, nil, ec, neg, needT)
end

local function cached(q)
  local c = { fe(), fe(), fe(), fe() }
  add(c[1], q[2], q[1])
  sub(c[2], q[2], q[1])
  set(c[3], q[3])
  mul(c[4], q[4], D2)
  return c
end

--- The cached odd multiples P, 3P, ..., 15P of a point { x, y, z, t }.
local function oddMultiples(p)
  local q = { fe(), fe(), fe(), fe() }
  set(q[1], p.x); set(q[2], p.y); set(q[3], p.z); set(q[4], p.t)
  local out = { cached(q) }
  dbl(q, true)
  local twice = cached(q)
  set(q[1], p.x); set(q[2], p.y); set(q[3], p.z); set(q[4], p.t)
  for k = 2, 8 do
    addCached(q, twice, false, true)
    out[k] = cached(q)
  end
  return out
end

--- The width-5 NAF of a 32-byte scalar (below 2^256) into naf[0..260]: odd digits within
--- +-15, at least 4 zeros after each nonzero one. Only the nonzero digits are
--- set (about 43 of 257): a sparse table is a sixth of a full one.
local function naf5(s, naf)
  local i, carry = 0, 0
  while i <= 256 do
    local at = i >> 3
    local bit = ((s[at] or 0) >> (i & 7)) & 1
    if bit == carry then
      i = i + 1
    else
      local v = (((s[at] or 0) | ((s[at + 1] or 0) << 8)) >> (i & 7)) & 31
      v = v + carry
      if v >= 16 then naf[i], carry = v - 32, 1 else naf[i], carry = v, 0 end
      i = i + 5
    end
  end
end

--- q = q + dP for a NAF digit d (odd, within +-15) of P's multiples m: true for the base point's constants.
local function addMultiple(q, m, d, needT)
  local k = d < 0 and -d or d
  if m == true then addBase(q, k, d < 0, needT) else addCached(q, m[(k + 1) >> 1], d < 0, needT) end
end

--- [s1]P1 + [s2]P2 (ed25519.ts doubleScalarMul): one chain of doublings, the
--- scalars as width-5 NAFs (about 43 additions each instead of 128). The base
--- point's multiples are the constants above; another point's are made per call.
local function doubleScalarMul(s1, p1, s2, p2)
  -- A verification makes most of a scan's garbage (points, elements). Begun
  -- on a collected heap, its peak is the live heap and its own working set,
  -- whatever the scan left before it: Lua 5.3's peak a scan had moved by 8 KB
  -- with where its collector's cycle fell (LFS image on the model: 165.4 ->
  -- 157.3 KB; 0.3-0.4 M instructions a verification on 5.3 and 5.4).
  collectgarbage()
  local m1 = isBase(p1) or oddMultiples(p1)
  local NAF1, NAF2 = {}, {}
  naf5(s1, NAF1)
  naf5(s2, NAF2)
  local m2 = nil
  local q = { fe(), fe(), fe(), fe() }
  q[2][1], q[3][1] = 1, 1 -- the identity (0, 1, 1, 0)
  local started = false
  for i = 256, 0, -1 do
    local d1, d2 = NAF1[i] or 0, NAF2[i] or 0
    if started then dbl(q, d1 ~= 0 or d2 ~= 0 or i == 0) end
    if d1 ~= 0 then
      addMultiple(q, m1, d1, d2 ~= 0 or i == 0)
      started = true
    end
    if d2 ~= 0 then
      if m2 == nil then m2 = p2 == p1 and m1 or isBase(p2) or oddMultiples(p2) end
      addMultiple(q, m2, d2, i == 0)
      started = true
    end
  end
  return { x = q[1], y = q[2], z = q[3], t = q[4] }
end

-- @tables: the table path, [s1]P1 - [s2]P2 from precomputed tables. An
-- image whose device makes no tables leaves it out (host/build/lua-natives.ts):
-- the written-out addition alone is about 18 KB of bytecode in RAM.
--- The 64 signed radix-16 digits of a 32-byte scalar into e[0..63] (ed25519-table.ts digits).
local function radix16(s, e)
  for i = 0, 31 do
    local b = s[i]
    e[2 * i], e[2 * i + 1] = b & 15, b >> 4
  end
  local carry = 0
  for i = 0, 62 do
    local v = e[i] + carry
    carry = (v + 8) >> 4
    e[i] = v - (carry << 4)
  end
  e[63] = e[63] + carry
end

--- addEntry(q, subtable, d, needT): q += sign(d) * entry |d| of a subtable
--- (y + x, y - x, 2dxy at (|d| - 1) * 96): ed25519-table.ts addEntry, 7
--- products (6 without T, needT false), the formulas of addCached on an entry
--- with Z = 1. dblTables(q, needT): dbl's formulas. The build writes both
--- here (host/build/lua-natives.ts): mul's and sqrn's products and carries
--- spelt out on locals, with no call and no table between them, since the
--- table additions are about 70 % of a verification with tables.
--@addEntry

local E1, E2 = {}, {}

--- [s1]P1 - [s2]P2 with P1's and P2's tables (ed25519-table.ts tableMulSub):
--- 128 table additions, 12 doublings.
local function tableMulSub(s1, t1, s2, t2)
  radix16(s1, E1)
  radix16(s2, E2)
  local q = { fe(), fe(), fe(), fe() }
  q[2][1], q[3][1] = 1, 1
  for g = 3, 0, -1 do
    if g < 3 then
      dblTables(q, false)
      dblTables(q, false)
      dblTables(q, false)
      dblTables(q, true)
    end
    -- The group's last addition is followed by a doubling or the end: no T.
    local last = -1
    for m = 15, 0, -1 do
      if E2[4 * m + g] ~= 0 then last = 2 * m + 1 break end
      if E1[4 * m + g] ~= 0 then last = 2 * m break end
    end
    for m = 0, 15 do
      local d1, d2 = E1[4 * m + g], E2[4 * m + g]
      if d1 ~= 0 then addEntry(q, t1[m + 1], d1, last ~= 2 * m) end
      if d2 ~= 0 then addEntry(q, t2[m + 1], -d2, last ~= 2 * m + 1) end
    end
  end
  return { x = q[1], y = q[2], z = q[3], t = q[4] }
end

-- @end tables

-- SHA-512 (FIPS 180-4) on 64-bit integers: a word is one Lua integer (the
-- portable code holds two 32-bit halves). Additions wrap mod 2^64 as Lua's
-- integers do; hexadecimal constants above 2^63 wrap to the same bits.
-- The 80 round constants, 64-bit big-endian: a string, read 8 a turn (in
-- flash with the code on LFS, where a table of them held 1.3 KB of RAM).
local K512 = "\z
  \x42\x8a\x2f\x98\xd7\x28\xae\x22\x71\x37\x44\x91\x23\xef\x65\xcd\xb5\xc0\xfb\xcf\xec\x4d\x3b\x2f\xe9\xb5\xdb\xa5\x81\x89\xdb\xbc\z
  \x39\x56\xc2\x5b\xf3\x48\xb5\x38\x59\xf1\x11\xf1\xb6\x05\xd0\x19\x92\x3f\x82\xa4\xaf\x19\x4f\x9b\xab\x1c\x5e\xd5\xda\x6d\x81\x18\z
  \xd8\x07\xaa\x98\xa3\x03\x02\x42\x12\x83\x5b\x01\x45\x70\x6f\xbe\x24\x31\x85\xbe\x4e\xe4\xb2\x8c\x55\x0c\x7d\xc3\xd5\xff\xb4\xe2\z
  \x72\xbe\x5d\x74\xf2\x7b\x89\x6f\x80\xde\xb1\xfe\x3b\x16\x96\xb1\x9b\xdc\x06\xa7\x25\xc7\x12\x35\xc1\x9b\xf1\x74\xcf\x69\x26\x94\z
  \xe4\x9b\x69\xc1\x9e\xf1\x4a\xd2\xef\xbe\x47\x86\x38\x4f\x25\xe3\x0f\xc1\x9d\xc6\x8b\x8c\xd5\xb5\x24\x0c\xa1\xcc\x77\xac\x9c\x65\z
  \x2d\xe9\x2c\x6f\x59\x2b\x02\x75\x4a\x74\x84\xaa\x6e\xa6\xe4\x83\x5c\xb0\xa9\xdc\xbd\x41\xfb\xd4\x76\xf9\x88\xda\x83\x11\x53\xb5\z
  \x98\x3e\x51\x52\xee\x66\xdf\xab\xa8\x31\xc6\x6d\x2d\xb4\x32\x10\xb0\x03\x27\xc8\x98\xfb\x21\x3f\xbf\x59\x7f\xc7\xbe\xef\x0e\xe4\z
  \xc6\xe0\x0b\xf3\x3d\xa8\x8f\xc2\xd5\xa7\x91\x47\x93\x0a\xa7\x25\x06\xca\x63\x51\xe0\x03\x82\x6f\x14\x29\x29\x67\x0a\x0e\x6e\x70\z
  \x27\xb7\x0a\x85\x46\xd2\x2f\xfc\x2e\x1b\x21\x38\x5c\x26\xc9\x26\x4d\x2c\x6d\xfc\x5a\xc4\x2a\xed\x53\x38\x0d\x13\x9d\x95\xb3\xdf\z
  \x65\x0a\x73\x54\x8b\xaf\x63\xde\x76\x6a\x0a\xbb\x3c\x77\xb2\xa8\x81\xc2\xc9\x2e\x47\xed\xae\xe6\x92\x72\x2c\x85\x14\x82\x35\x3b\z
  \xa2\xbf\xe8\xa1\x4c\xf1\x03\x64\xa8\x1a\x66\x4b\xbc\x42\x30\x01\xc2\x4b\x8b\x70\xd0\xf8\x97\x91\xc7\x6c\x51\xa3\x06\x54\xbe\x30\z
  \xd1\x92\xe8\x19\xd6\xef\x52\x18\xd6\x99\x06\x24\x55\x65\xa9\x10\xf4\x0e\x35\x85\x57\x71\x20\x2a\x10\x6a\xa0\x70\x32\xbb\xd1\xb8\z
  \x19\xa4\xc1\x16\xb8\xd2\xd0\xc8\x1e\x37\x6c\x08\x51\x41\xab\x53\x27\x48\x77\x4c\xdf\x8e\xeb\x99\x34\xb0\xbc\xb5\xe1\x9b\x48\xa8\z
  \x39\x1c\x0c\xb3\xc5\xc9\x5a\x63\x4e\xd8\xaa\x4a\xe3\x41\x8a\xcb\x5b\x9c\xca\x4f\x77\x63\xe3\x73\x68\x2e\x6f\xf3\xd6\xb2\xb8\xa3\z
  \x74\x8f\x82\xee\x5d\xef\xb2\xfc\x78\xa5\x63\x6f\x43\x17\x2f\x60\x84\xc8\x78\x14\xa1\xf0\xab\x72\x8c\xc7\x02\x08\x1a\x64\x39\xec\z
  \x90\xbe\xff\xfa\x23\x63\x1e\x28\xa4\x50\x6c\xeb\xde\x82\xbd\xe9\xbe\xf9\xa3\xf7\xb2\xc6\x79\x15\xc6\x71\x78\xf2\xe3\x72\x53\x2b\z
  \xca\x27\x3e\xce\xea\x26\x61\x9c\xd1\x86\xb8\xc7\x21\xc0\xc2\x07\xea\xda\x7d\xd6\xcd\xe0\xeb\x1e\xf5\x7d\x4f\x7f\xee\x6e\xd1\x78\z
  \x06\xf0\x67\xaa\x72\x17\x6f\xba\x0a\x63\x7d\xc5\xa2\xc8\x98\xa6\x11\x3f\x98\x04\xbe\xf9\x0d\xae\x1b\x71\x0b\x35\x13\x1c\x47\x1b\z
  \x28\xdb\x77\xf5\x23\x04\x7d\x84\x32\xca\xab\x7b\x40\xc7\x24\x93\x3c\x9e\xbe\x0a\x15\xc9\xbe\xbc\x43\x1d\x67\xc4\x9c\x10\x0d\x4c\z
  \x4c\xc5\xd4\xbe\xcb\x3e\x42\xb6\x59\x7f\x29\x9c\xfc\x65\x7e\x2a\x5f\xcb\x6f\xab\x3a\xd6\xfa\xec\x6c\x44\x19\x8c\x4a\x47\x58\x17"
local W = {} -- the message schedule's last 16 words, reused (nothing here is re-entered)

--- The schedule's next 16 words, in place (FIPS 180-4 6.4.2): slot i holds W[t]
--- for t = i mod 16, so each word is made from the four it needs, in order.
local function expand()
  for i = 1, 16 do
    local x, y = W[i % 16 + 1], W[(i + 13) % 16 + 1]
    W[i] = W[i] + W[(i + 8) % 16 + 1] + ((x >> 1 | x << 63) ~ (x >> 8 | x << 56) ~ (x >> 7)) + ((y >> 19 | y << 45) ~ (y >> 61 | y << 3) ~ (y >> 6))
  end
end

--- The block whose 16 words are in W[1..16] into the state st[1..8].
local function compress(st)
  local a, bb, c, d, e, f, g, h = st[1], st[2], st[3], st[4], st[5], st[6], st[7], st[8]
  -- Eight rounds a turn, the variables' roles moving one place a round: no
  -- shuffle of all eight after each (a quarter of a round's bytecodes).
  for t = 1, 80, 8 do
    if t > 16 and t % 16 == 1 then expand() end
    local w = (t - 1) % 16 -- the turn's words are W[w + 1 .. w + 8]
    local k0, k1, k2, k3, k4, k5, k6, k7 = sunpack(">i8i8i8i8i8i8i8i8", K512, 8 * t - 7)
    local t0 = h + ((e >> 14 | e << 50) ~ (e >> 18 | e << 46) ~ (e >> 41 | e << 23)) + (g ~ e & (f ~ g)) + k0 + W[w + 1]
    d, h = d + t0, t0 + ((a >> 28 | a << 36) ~ (a >> 34 | a << 30) ~ (a >> 39 | a << 25)) + (a & (bb | c) | bb & c)
    local t1 = g + ((d >> 14 | d << 50) ~ (d >> 18 | d << 46) ~ (d >> 41 | d << 23)) + (f ~ d & (e ~ f)) + k1 + W[w + 2]
    c, g = c + t1, t1 + ((h >> 28 | h << 36) ~ (h >> 34 | h << 30) ~ (h >> 39 | h << 25)) + (h & (a | bb) | a & bb)
    local t2 = f + ((c >> 14 | c << 50) ~ (c >> 18 | c << 46) ~ (c >> 41 | c << 23)) + (e ~ c & (d ~ e)) + k2 + W[w + 3]
    bb, f = bb + t2, t2 + ((g >> 28 | g << 36) ~ (g >> 34 | g << 30) ~ (g >> 39 | g << 25)) + (g & (h | a) | h & a)
    local t3 = e + ((bb >> 14 | bb << 50) ~ (bb >> 18 | bb << 46) ~ (bb >> 41 | bb << 23)) + (d ~ bb & (c ~ d)) + k3 + W[w + 4]
    a, e = a + t3, t3 + ((f >> 28 | f << 36) ~ (f >> 34 | f << 30) ~ (f >> 39 | f << 25)) + (f & (g | h) | g & h)
    local t4 = d + ((a >> 14 | a << 50) ~ (a >> 18 | a << 46) ~ (a >> 41 | a << 23)) + (c ~ a & (bb ~ c)) + k4 + W[w + 5]
    h, d = h + t4, t4 + ((e >> 28 | e << 36) ~ (e >> 34 | e << 30) ~ (e >> 39 | e << 25)) + (e & (f | g) | f & g)
    local t5 = c + ((h >> 14 | h << 50) ~ (h >> 18 | h << 46) ~ (h >> 41 | h << 23)) + (bb ~ h & (a ~ bb)) + k5 + W[w + 6]
    g, c = g + t5, t5 + ((d >> 28 | d << 36) ~ (d >> 34 | d << 30) ~ (d >> 39 | d << 25)) + (d & (e | f) | e & f)
    local t6 = bb + ((g >> 14 | g << 50) ~ (g >> 18 | g << 46) ~ (g >> 41 | g << 23)) + (a ~ g & (h ~ a)) + k6 + W[w + 7]
    f, bb = f + t6, t6 + ((c >> 28 | c << 36) ~ (c >> 34 | c << 30) ~ (c >> 39 | c << 25)) + (c & (d | e) | d & e)
    local t7 = a + ((f >> 14 | f << 50) ~ (f >> 18 | f << 46) ~ (f >> 41 | f << 23)) + (h ~ f & (g ~ h)) + k7 + W[w + 8]
    e, a = e + t7, t7 + ((bb >> 28 | bb << 36) ~ (bb >> 34 | bb << 30) ~ (bb >> 39 | bb << 25)) + (bb & (c | d) | c & d)
  end
  st[1], st[2], st[3], st[4] = st[1] + a, st[2] + bb, st[3] + c, st[4] + d
  st[5], st[6], st[7], st[8] = st[5] + e, st[6] + f, st[7] + g, st[8] + h
end

--- The 16 words of the 128-byte block of the 0-based Bytes table b at off into W[1..16].
local function words512(b, off)
  for t = 1, 16 do
    local i = off + 8 * t - 8
    W[t] = b[i] << 56 | b[i + 1] << 48 | b[i + 2] << 40 | b[i + 3] << 32 | b[i + 4] << 24 | b[i + 5] << 16 | b[i + 6] << 8 | b[i + 7]
  end
end

--- A FIPS 180-4 hash of the 0-based Bytes table m from the state st (SHA-512's
--- or SHA-256's): each whole block of `size` bytes read into the schedule w by
--- `read` and compressed; then the padded tail (5.1: the bytes of m from full
--- on, 0x80, zeros, the length in bits in the last size / 8 bytes) as a string
--- of one or two blocks, read 16 words at a time with `fmt`: no Bytes table of
--- it (4 KB of garbage per hash on 32-bit Lua), no call per byte. The digest is
--- st's words of `wordBytes` bytes, big-endian, as a new Bytes table.
local function mdHash(m, st, size, w, read, fmt, compressBlock, wordBytes)
  local n = m.length
  local full = n - n % size
  local ms = m.s
  for off = 0, full - 1, size do
    if ms == nil then
      read(m, off)
    else
      w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15], w[16] = sunpack(fmt, ms, off + 1)
    end
    compressBlock(st)
  end
  local tailLen = n - full < size - size // 8 and size or 2 * size
  local tail = (ms == nil and string.char(table.unpack(m, full, n - 1)) or ms:sub(full + 1, n)) .. "\128" .. string.rep("\0", tailLen - (n - full) - 9) .. string.pack(">I8", n * 8)
  for off = 1, tailLen, size do
    w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15], w[16] = sunpack(fmt, tail, off)
    compressBlock(st)
  end
  local out = allocBytes(#st * wordBytes)
  for i = 0, out.length - 1 do out[i] = st[i // wordBytes + 1] >> (8 * (wordBytes - 1 - i % wordBytes)) & 255 end
  return out
end

--- The 64-byte digest of a 0-based Bytes table, as one.
local function sha512(m)
  local st = { 0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
    0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179 }
  return mdHash(m, st, 128, W, words512, ">i8i8i8i8i8i8i8i8i8i8i8i8i8i8i8i8", compress, 8)
end

-- SHA-256 (FIPS 180-4 6.2) on Lua's integers, 32-bit words masked: for key ids
-- (firmware/core/sha256.ts kidOf). The core's own would make and keep its 64
-- round constants and a 64-word schedule as tables (2 KB of RAM); here the
-- schedule is 16 words, and the constants are SHA-512's (FIPS 180-4 4.2.2 and
-- 4.2.3: the same cube roots, SHA-256 takes the first 32 bits of the first 64).
local W32 = {}

local function rotr32(x, n)
  return (x >> n | x << (32 - n)) & 0xffffffff
end

--- The 64-byte block whose 16 words are in W32[1..16] into st[1..8].
local function compress256(st)
  local a, bb, c, d, e, f, g, h = st[1], st[2], st[3], st[4], st[5], st[6], st[7], st[8]
  for t = 1, 64 do
    local i = (t - 1) % 16 + 1
    if t > 16 then -- slot i holds W[t - 16]: made into W[t] from the words it needs (as in SHA-512's expand)
      local x, y = W32[i % 16 + 1], W32[(i + 13) % 16 + 1]
      W32[i] = (W32[i] + W32[(i + 8) % 16 + 1] + (rotr32(x, 7) ~ rotr32(x, 18) ~ (x >> 3)) + (rotr32(y, 17) ~ rotr32(y, 19) ~ (y >> 10))) & 0xffffffff
    end
    local t1 = h + (rotr32(e, 6) ~ rotr32(e, 11) ~ rotr32(e, 25)) + (g ~ e & (f ~ g)) + sunpack(">I4", K512, 8 * t - 7) + W32[i]
    local t2 = (rotr32(a, 2) ~ rotr32(a, 13) ~ rotr32(a, 22)) + (a & bb | c & (a | bb))
    h, g, f, e, d, c, bb, a = g, f, e, (d + t1) & 0xffffffff, c, bb, a, (t1 + t2) & 0xffffffff
  end
  st[1], st[2], st[3], st[4] = (st[1] + a) & 0xffffffff, (st[2] + bb) & 0xffffffff, (st[3] + c) & 0xffffffff, (st[4] + d) & 0xffffffff
  st[5], st[6], st[7], st[8] = (st[5] + e) & 0xffffffff, (st[6] + f) & 0xffffffff, (st[7] + g) & 0xffffffff, (st[8] + h) & 0xffffffff
end

--- The 16 words of the 64-byte block of the 0-based Bytes table b at off into W32[1..16].
local function words256(b, off)
  for t = 1, 16 do
    local i = off + 4 * t - 4
    W32[t] = b[i] << 24 | b[i + 1] << 16 | b[i + 2] << 8 | b[i + 3]
  end
end

--- The 32-byte digest of a 0-based Bytes table, as one.
local function sha256(m)
  local st = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 }
  return mdHash(m, st, 64, W32, words256, ">I4I4I4I4I4I4I4I4I4I4I4I4I4I4I4I4", compress256, 4)
end

return {
  field = { fe = fe, set = set, add = add, sub = sub, mul = mul, sqr = sqr, pack = pack, unpack = unpack, unpackAt = unpackAt, inv = inv, pow2523 = pow2523 },
  curve = { doubleScalarMul = doubleScalarMul, tableMulSub = tableMulSub },
  reduce64 = reduce64,
  sha512 = sha512,
  sha256 = sha256,
  compactBytes = compact,
  stringBytes = stringBytes,
  allocBytes = allocBytes,
  concatBytes = concatBytes,
}
