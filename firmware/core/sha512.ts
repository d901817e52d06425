// SHA-512 (FIPS 180-4), BigInt-free: each 64-bit word is a pair of 32-bit
// halves (hi, lo) held in two Int32-range numbers, added with explicit carries.
// Cost: 80 rounds per 128-byte block, ~20 32-bit operations a round.
import type { Bytes } from "./bytes";
import { type Words, mdHash, words } from "./md-hash";
import { NATIVES } from "./natives";

// FIPS 180-4 4.2.3: the first 64 bits of the fractional parts of the cube
// roots of the first 80 primes, as hi/lo halves.
// Made on first use (roundConstants below), as 32-bit words (md-hash.ts words): a target with its own SHA-512 never
// holds them (on Espruino they would be 500 variables of RAM from boot).
let K: Words = [];
function roundConstants(): number[] {
  return [
    0x428a2f98, 0xd728ae22, 0x71374491, 0x23ef65cd, 0xb5c0fbcf, 0xec4d3b2f, 0xe9b5dba5, 0x8189dbbc,
    0x3956c25b, 0xf348b538, 0x59f111f1, 0xb605d019, 0x923f82a4, 0xaf194f9b, 0xab1c5ed5, 0xda6d8118,
    0xd807aa98, 0xa3030242, 0x12835b01, 0x45706fbe, 0x243185be, 0x4ee4b28c, 0x550c7dc3, 0xd5ffb4e2,
    0x72be5d74, 0xf27b896f, 0x80deb1fe, 0x3b1696b1, 0x9bdc06a7, 0x25c71235, 0xc19bf174, 0xcf692694,
    0xe49b69c1, 0x9ef14ad2, 0xefbe4786, 0x384f25e3, 0x0fc19dc6, 0x8b8cd5b5, 0x240ca1cc, 0x77ac9c65,
    0x2de92c6f, 0x592b0275, 0x4a7484aa, 0x6ea6e483, 0x5cb0a9dc, 0xbd41fbd4, 0x76f988da, 0x831153b5,
    0x983e5152, 0xee66dfab, 0xa831c66d, 0x2db43210, 0xb00327c8, 0x98fb213f, 0xbf597fc7, 0xbeef0ee4,
    0xc6e00bf3, 0x3da88fc2, 0xd5a79147, 0x930aa725, 0x06ca6351, 0xe003826f, 0x14292967, 0x0a0e6e70,
    0x27b70a85, 0x46d22ffc, 0x2e1b2138, 0x5c26c926, 0x4d2c6dfc, 0x5ac42aed, 0x53380d13, 0x9d95b3df,
    0x650a7354, 0x8baf63de, 0x766a0abb, 0x3c77b2a8, 0x81c2c92e, 0x47edaee6, 0x92722c85, 0x1482353b,
    0xa2bfe8a1, 0x4cf10364, 0xa81a664b, 0xbc423001, 0xc24b8b70, 0xd0f89791, 0xc76c51a3, 0x0654be30,
    0xd192e819, 0xd6ef5218, 0xd6990624, 0x5565a910, 0xf40e3585, 0x5771202a, 0x106aa070, 0x32bbd1b8,
    0x19a4c116, 0xb8d2d0c8, 0x1e376c08, 0x5141ab53, 0x2748774c, 0xdf8eeb99, 0x34b0bcb5, 0xe19b48a8,
    0x391c0cb3, 0xc5c95a63, 0x4ed8aa4a, 0xe3418acb, 0x5b9cca4f, 0x7763e373, 0x682e6ff3, 0xd6b2b8a3,
    0x748f82ee, 0x5defb2fc, 0x78a5636f, 0x43172f60, 0x84c87814, 0xa1f0ab72, 0x8cc70208, 0x1a6439ec,
    0x90befffa, 0x23631e28, 0xa4506ceb, 0xde82bde9, 0xbef9a3f7, 0xb2c67915, 0xc67178f2, 0xe372532b,
    0xca273ece, 0xea26619c, 0xd186b8c7, 0x21c0c207, 0xeada7dd6, 0xcde0eb1e, 0xf57d4f7f, 0xee6ed178,
    0x06f067aa, 0x72176fba, 0x0a637dc5, 0xa2c898a6, 0x113f9804, 0xbef90dae, 0x1b710b35, 0x131c471b,
    0x28db77f5, 0x23047d84, 0x32caab7b, 0x40c72493, 0x3c9ebe0a, 0x15c9bebc, 0x431d67c4, 0x9c100d4c,
    0x4cc5d4be, 0xcb3e42b6, 0x597f299c, 0xfc657e2a, 0x5fcb6fab, 0x3ad6faec, 0x6c44198c, 0x4a475817,
  ];
}

// FIPS 180-4 5.3.5: initial hash value.
function initialHash(): number[] {
  return [
    0x6a09e667, 0xf3bcc908, 0xbb67ae85, 0x84caa73b, 0x3c6ef372, 0xfe94f82b, 0xa54ff53a, 0x5f1d36f1,
    0x510e527f, 0xade682d1, 0x9b05688c, 0x2b3e6c1f, 0x1f83d9ab, 0xfb41bd6b, 0x5be0cd19, 0x137e2179,
  ];
}

// 64-bit rotate right of (h, l) by n < 32: the high half, then the low half.
function rotrHi(h: number, l: number, n: number): number {
  return ((h >>> n) | (l << (32 - n))) >>> 0;
}
function rotrLo(h: number, l: number, n: number): number {
  return ((l >>> n) | (h << (32 - n))) >>> 0;
}

// Message schedule and working state, reused across blocks (no allocation per block).
let W: Words = [];

/** One 128-byte block at `off` into the state `st` (16 numbers: 8 hi/lo pairs). FIPS 180-4 6.4.2. */
function block(st: number[], m: Bytes, off: number): void {
  for (let t = 0; t < 16; t++) {
    const p = off + t * 8;
    W[2 * t] = ((m[p] << 24) | (m[p + 1] << 16) | (m[p + 2] << 8) | m[p + 3]) >>> 0;
    W[2 * t + 1] = ((m[p + 4] << 24) | (m[p + 5] << 16) | (m[p + 6] << 8) | m[p + 7]) >>> 0;
  }
  for (let t = 16; t < 80; t++) {
    // sigma0 = ROTR1 ^ ROTR8 ^ SHR7 of W[t-15]; sigma1 = ROTR19 ^ ROTR61 ^ SHR6 of W[t-2]
    let h = W[2 * (t - 15)];
    let l = W[2 * (t - 15) + 1];
    const s0h = (rotrHi(h, l, 1) ^ rotrHi(h, l, 8) ^ (h >>> 7)) >>> 0;
    const s0l = (rotrLo(h, l, 1) ^ rotrLo(h, l, 8) ^ ((l >>> 7) | (h << 25))) >>> 0;
    h = W[2 * (t - 2)];
    l = W[2 * (t - 2) + 1];
    const s1h = (rotrHi(h, l, 19) ^ rotrLo(h, l, 29) ^ (h >>> 6)) >>> 0; // ROTR61 = swap halves + ROTR29
    const s1l = (rotrLo(h, l, 19) ^ rotrHi(h, l, 29) ^ ((l >>> 6) | (h << 26))) >>> 0;
    // W[t] = s1 + W[t-7] + s0 + W[t-16], low halves first with carries
    const lo = s1l + W[2 * (t - 7) + 1] + s0l + W[2 * (t - 16) + 1];
    const hi = s1h + W[2 * (t - 7)] + s0h + W[2 * (t - 16)] + Math.floor(lo / 4294967296);
    W[2 * t] = hi >>> 0;
    W[2 * t + 1] = lo >>> 0;
  }
  let ah = st[0], al = st[1], bh = st[2], bl = st[3], ch = st[4], cl = st[5], dh = st[6], dl = st[7];
  let eh = st[8], el = st[9], fh = st[10], fl = st[11], gh = st[12], gl = st[13], hh = st[14], hl = st[15];
  for (let t = 0; t < 80; t++) {
    // Sigma1(e) = ROTR14 ^ ROTR18 ^ ROTR41; Ch(e, f, g) = (e & f) ^ (~e & g)
    const S1h = (rotrHi(eh, el, 14) ^ rotrHi(eh, el, 18) ^ rotrLo(eh, el, 9)) >>> 0;
    const S1l = (rotrLo(eh, el, 14) ^ rotrLo(eh, el, 18) ^ rotrHi(eh, el, 9)) >>> 0;
    const chh = ((eh & fh) ^ (~eh & gh)) >>> 0;
    const chl = ((el & fl) ^ (~el & gl)) >>> 0;
    // T1 = h + Sigma1 + Ch + K[t] + W[t]
    const t1l = hl + S1l + chl + K[2 * t + 1] + W[2 * t + 1];
    const t1h = hh + S1h + chh + K[2 * t] + W[2 * t] + Math.floor(t1l / 4294967296);
    // Sigma0(a) = ROTR28 ^ ROTR34 ^ ROTR39; Maj(a, b, c)
    const S0h = (rotrHi(ah, al, 28) ^ rotrLo(ah, al, 2) ^ rotrLo(ah, al, 7)) >>> 0;
    const S0l = (rotrLo(ah, al, 28) ^ rotrHi(ah, al, 2) ^ rotrHi(ah, al, 7)) >>> 0;
    const mjh = ((ah & bh) ^ (ah & ch) ^ (bh & ch)) >>> 0;
    const mjl = ((al & bl) ^ (al & cl) ^ (bl & cl)) >>> 0;
    const t2l = S0l + mjl;
    const t2h = S0h + mjh + Math.floor(t2l / 4294967296);
    hh = gh; hl = gl; gh = fh; gl = fl; fh = eh; fl = el;
    // e = d + T1
    const nel = dl + (t1l >>> 0);
    eh = (dh + t1h + Math.floor(nel / 4294967296)) >>> 0;
    el = nel >>> 0;
    dh = ch; dl = cl; ch = bh; cl = bl; bh = ah; bl = al;
    // a = T1 + T2
    const nal = (t1l >>> 0) + (t2l >>> 0);
    ah = (t1h + t2h + Math.floor(nal / 4294967296)) >>> 0;
    al = nal >>> 0;
  }
  const v = [ah, al, bh, bl, ch, cl, dh, dl, eh, el, fh, fl, gh, gl, hh, hl];
  for (let i = 0; i < 16; i += 2) {
    const lo = st[i + 1] + v[i + 1];
    st[i] = (st[i] + v[i] + Math.floor(lo / 4294967296)) >>> 0;
    st[i + 1] = lo >>> 0;
  }
}

// A target's own SHA-512 (firmware/core/natives.ts: Espruino's crypto module, Lua's on 64-bit words).
const NATIVE = NATIVES.sha512;

/** The FIPS 180-4 code path, its constants made the first time it runs. */
function portable(msg: Bytes): Bytes {
  if (K.length === 0) {
    K = words(roundConstants());
    W = words(160);
  }
  return mdHash(msg, initialHash(), 128, 16, block);
}

export function sha512(msg: Bytes): Bytes {
  return NATIVE !== undefined ? NATIVE(msg) : portable(msg);
}
