// SHA-256 (FIPS 180-4 6.2), for key ids: kid = SHA-256(public key)[0:8]
// (SPEC section 4). 32-bit words kept unsigned with `>>> 0`.
// Cost: 64 rounds per 64-byte block, ~15 32-bit operations a round.
import { type Bytes, slice } from "./bytes";
import { type Words, mdHash, words } from "./md-hash";
import { NATIVES } from "./natives";

// FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube
// roots of the first 64 primes.
// Made on first use (roundConstants below), as 32-bit words (md-hash.ts words): a target with its own SHA-256 never
// holds them (on Espruino they would be 200 variables of RAM from boot).
let K: Words = [];
function roundConstants(): number[] {
  return [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ];
}

// FIPS 180-4 5.3.3: initial hash value.
function initialHash(): number[] {
  return [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
}

function rotr(x: number, n: number): number {
  return ((x >>> n) | (x << (32 - n))) >>> 0;
}

// Message schedule, reused across blocks (no allocation per block).
let W: Words = [];

/** One 64-byte block at `off` into the state `st` (8 words). FIPS 180-4 6.2.2. */
function block(st: number[], m: Bytes, off: number): void {
  for (let t = 0; t < 16; t++) {
    const p = off + t * 4;
    W[t] = ((m[p] << 24) | (m[p + 1] << 16) | (m[p + 2] << 8) | m[p + 3]) >>> 0;
  }
  for (let t = 16; t < 64; t++) {
    const x = W[t - 15];
    const y = W[t - 2];
    const s0 = (rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)) >>> 0;
    const s1 = (rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10)) >>> 0;
    W[t] = (s1 + W[t - 7] + s0 + W[t - 16]) >>> 0; // sum < 2^34: exact in a double
  }
  let a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
  for (let t = 0; t < 64; t++) {
    // T1 = h + Sigma1(e) + Ch(e, f, g) + K[t] + W[t]; T2 = Sigma0(a) + Maj(a, b, c)
    const S1 = (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) >>> 0;
    const ch = ((e & f) ^ (~e & g)) >>> 0;
    const t1 = h + S1 + ch + K[t] + W[t];
    const S0 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) >>> 0;
    const mj = ((a & b) ^ (a & c) ^ (b & c)) >>> 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) >>> 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + S0 + mj) >>> 0;
  }
  st[0] = (st[0] + a) >>> 0;
  st[1] = (st[1] + b) >>> 0;
  st[2] = (st[2] + c) >>> 0;
  st[3] = (st[3] + d) >>> 0;
  st[4] = (st[4] + e) >>> 0;
  st[5] = (st[5] + f) >>> 0;
  st[6] = (st[6] + g) >>> 0;
  st[7] = (st[7] + h) >>> 0;
}

// A target's own SHA-256 (firmware/core/natives.ts: Espruino's crypto module).
const NATIVE = NATIVES.sha256;

/** The FIPS 180-4 code path, its constants made the first time it runs. */
function portable(msg: Bytes): Bytes {
  if (K.length === 0) {
    K = words(roundConstants());
    W = words(64);
  }
  return mdHash(msg, initialHash(), 64, 8, block);
}

export function sha256(msg: Bytes): Bytes {
  return NATIVE !== undefined ? NATIVE(msg) : portable(msg);
}

/** SPEC 4: a key's id is the first 8 bytes of SHA-256 of its 32-byte public key. */
export function kidOf(publicKey: Bytes): Bytes {
  return slice(sha256(publicKey), 0, 8);
}
