// SHA-256 (FIPS 180-4): key ids are its first 8 bytes of a public key
// (SPEC section 4), so the device derives its own id and checks key entries.
// Same style as sha512.ts: 32-bit words with explicit wrap (>>> 0).
import { type Bytes, alloc } from "./bytes";

// FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

function rotr(x: number, n: number): number {
  return ((x >>> n) | (x << (32 - n))) >>> 0;
}

const W: number[] = [];
for (let i = 0; i < 64; i++) W.push(0);

/** One 64-byte block at `off` into the state (8 words). FIPS 180-4 6.2.2. */
function block(st: number[], m: Bytes, off: number): void {
  for (let t = 0; t < 16; t++) {
    const p = off + t * 4;
    W[t] = ((m[p] << 24) | (m[p + 1] << 16) | (m[p + 2] << 8) | m[p + 3]) >>> 0;
  }
  for (let t = 16; t < 64; t++) {
    const a = W[t - 15];
    const b = W[t - 2];
    const s0 = (rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)) >>> 0;
    const s1 = (rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10)) >>> 0;
    W[t] = (s1 + W[t - 7] + s0 + W[t - 16]) >>> 0;
  }
  let a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
  for (let t = 0; t < 64; t++) {
    const S1 = (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) >>> 0;
    const ch = ((e & f) ^ (~e & g)) >>> 0;
    const t1 = (h + S1 + ch + K[t] + W[t]) >>> 0;
    const S0 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) >>> 0;
    const maj = ((a & b) ^ (a & c) ^ (b & c)) >>> 0;
    const t2 = (S0 + maj) >>> 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) >>> 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) >>> 0;
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

export function sha256(msg: Bytes): Bytes {
  const st: number[] = [];
  for (let i = 0; i < 8; i++) st.push(H0[i]);
  const full = Math.floor(msg.length / 64);
  for (let i = 0; i < full; i++) block(st, msg, i * 64);
  // Padding: 0x80, zeros, the bit length as 64 bits big-endian (below 2^53 here).
  const rest = msg.length - full * 64;
  const tailLen = rest < 56 ? 64 : 128;
  const tail = alloc(tailLen);
  for (let i = 0; i < rest; i++) tail[i] = msg[full * 64 + i];
  tail[rest] = 0x80;
  const bits = msg.length * 8;
  const hi = Math.floor(bits / 4294967296);
  const lo = bits - hi * 4294967296;
  for (let i = 0; i < 4; i++) {
    tail[tailLen - 8 + i] = (hi >>> (24 - 8 * i)) & 255;
    tail[tailLen - 4 + i] = (lo >>> (24 - 8 * i)) & 255;
  }
  block(st, tail, 0);
  if (tailLen === 128) block(st, tail, 64);
  const out = alloc(32);
  for (let i = 0; i < 8; i++) {
    out[4 * i] = (st[i] >>> 24) & 255;
    out[4 * i + 1] = (st[i] >>> 16) & 255;
    out[4 * i + 2] = (st[i] >>> 8) & 255;
    out[4 * i + 3] = st[i] & 255;
  }
  return out;
}

/** SPEC 4: a key's id is the first 8 bytes of SHA-256 of its 32-byte public key. */
export function keyId(publicKey: Bytes): Bytes {
  const h = sha256(publicKey);
  const kid = alloc(8);
  for (let i = 0; i < 8; i++) kid[i] = h[i];
  return kid;
}
