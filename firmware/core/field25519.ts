// Arithmetic in GF(p), p = 2^255 - 19, without BigInt.
//
// An element is 16 limbs of 16 bits (radix 2^16, little-endian), as in
// TweetNaCl: a product of two limbs is below 2^34 and a column of 16 of them,
// times 38 after folding, stays below 2^53, so plain doubles are exact on
// every runtime. Limbs may be negative or above 2^16 between carries.
// Cost model: mul = 256 limb products + one carry pass; it dominates verification, so the point formulas count their
// cost in mul (M) and sqr (S). npm run bench prints the count per
// verification and the ms per mul on each runtime.
//
// A target may hand in its own representation (firmware/core/natives.ts; the
// Lua image's is 10 limbs on 64-bit integers): then the exported set, add,
// sub, mul, sqr, pack, unpack and unpackAt are its, and everything built on
// them here (inversion, square root power, comparisons) runs unchanged. Or
// only a product on these 16 limbs (the Espruino image's, 16 E.convolve calls).
import { type Bytes, alloc } from "./bytes";
import { NATIVES } from "./natives";

const NATIVE = NATIVES.field;
const PRODUCT = NATIVES.product;

export type Fe = Float64Array;

interface LuaLimbs {
  length: number;
  [i: number]: number;
}

const HAS_FLOAT64 = typeof Float64Array !== "undefined";

/** A new element, zero, or the given 16 limbs of 16 bits (as constants are written). */
export function fe(limbs?: number[]): Fe {
  if (NATIVE === undefined) return fePortable(limbs);
  const r = NATIVE.fe();
  if (limbs !== undefined) {
    const b = alloc(32);
    for (let i = 0; i < 16; i++) {
      b[2 * i] = limbs[i] & 0xff;
      b[2 * i + 1] = (limbs[i] >>> 8) & 0xff;
    }
    NATIVE.unpack(r, b);
  }
  return r;
}

// --- The portable representation: 16 limbs of 16 bits -------------------------

const ELEMENT = PRODUCT !== undefined ? PRODUCT.element : undefined;

function fePortable(limbs?: number[]): Fe {
  let r: Fe;
  if (ELEMENT !== undefined) {
    r = ELEMENT();
  } else if (HAS_FLOAT64) {
    r = new Float64Array(16);
  } else {
    const t: LuaLimbs = { length: 16 };
    for (let i = 0; i < 16; i++) t[i] = 0;
    r = t as unknown as Fe;
  }
  if (limbs !== undefined) for (let i = 0; i < 16; i++) r[i] = limbs[i];
  return r;
}

// set, add and sub are written out: Espruino interprets the source, so a
// 16-step loop costs three times what 16 plain statements do.
function setPortable(r: Fe, a: Fe): void {
  r[0] = a[0]; r[1] = a[1]; r[2] = a[2]; r[3] = a[3]; r[4] = a[4]; r[5] = a[5]; r[6] = a[6]; r[7] = a[7];
  r[8] = a[8]; r[9] = a[9]; r[10] = a[10]; r[11] = a[11]; r[12] = a[12]; r[13] = a[13]; r[14] = a[14]; r[15] = a[15];
}

function addPortable(r: Fe, a: Fe, b: Fe): void {
  r[0] = a[0] + b[0]; r[1] = a[1] + b[1]; r[2] = a[2] + b[2]; r[3] = a[3] + b[3];
  r[4] = a[4] + b[4]; r[5] = a[5] + b[5]; r[6] = a[6] + b[6]; r[7] = a[7] + b[7];
  r[8] = a[8] + b[8]; r[9] = a[9] + b[9]; r[10] = a[10] + b[10]; r[11] = a[11] + b[11];
  r[12] = a[12] + b[12]; r[13] = a[13] + b[13]; r[14] = a[14] + b[14]; r[15] = a[15] + b[15];
}

function subPortable(r: Fe, a: Fe, b: Fe): void {
  r[0] = a[0] - b[0]; r[1] = a[1] - b[1]; r[2] = a[2] - b[2]; r[3] = a[3] - b[3];
  r[4] = a[4] - b[4]; r[5] = a[5] - b[5]; r[6] = a[6] - b[6]; r[7] = a[7] - b[7];
  r[8] = a[8] - b[8]; r[9] = a[9] - b[9]; r[10] = a[10] - b[10]; r[11] = a[11] - b[11];
  r[12] = a[12] - b[12]; r[13] = a[13] - b[13]; r[14] = a[14] - b[14]; r[15] = a[15] - b[15];
}

/** Propagate carries so every limb is in [0, 2^16); 2^256 folds back as 38 (= 2 * 19). */
function carry(o: Fe): void {
  let c = 1;
  for (let i = 0; i < 16; i++) {
    const v = o[i] + c + 65535;
    c = Math.floor(v / 65536);
    o[i] = v - c * 65536;
  }
  o[0] += 38 * (c - 1);
}

// Scratch for mul: 31 columns. Reused; mul is not re-entrant (nothing here is concurrent).
// A literal, not a loop: on Espruino a statement that is no declaration keeps the
// module's data in the image instead of the curve's part (host/build/espruino-parts.js).
// Empty where a native product is mul (E.convolve on Espruino: 32 variables a board keeps free).
const T: number[] =
  NATIVE === undefined && PRODUCT === undefined ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] : [];

/**
 * One carry pass, then the fold of limb 0's overflow into limb 1: limbs end
 * in [0, 2^16) but limb 1, below 2^18. That is loose enough for the next
 * product (columns stay below 2^46) and half the work of two full passes.
 */
function settle(o: Fe): void {
  carry(o);
  const c0 = Math.floor(o[0] / 65536);
  o[0] -= c0 * 65536;
  o[1] += c0;
}

/** r = a * b mod p. 256 limb products (schoolbook), fold, one carry pass. r may alias a or b. */
function mulPortable(r: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < 31; i++) T[i] = 0;
  // b's limbs in locals, the inner loop written out: a third fewer array reads.
  const b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3], b4 = b[4], b5 = b[5], b6 = b[6], b7 = b[7];
  const b8 = b[8], b9 = b[9], b10 = b[10], b11 = b[11], b12 = b[12], b13 = b[13], b14 = b[14], b15 = b[15];
  for (let i = 0; i < 16; i++) {
    const ai = a[i];
    T[i] += ai * b0;
    T[i + 1] += ai * b1;
    T[i + 2] += ai * b2;
    T[i + 3] += ai * b3;
    T[i + 4] += ai * b4;
    T[i + 5] += ai * b5;
    T[i + 6] += ai * b6;
    T[i + 7] += ai * b7;
    T[i + 8] += ai * b8;
    T[i + 9] += ai * b9;
    T[i + 10] += ai * b10;
    T[i + 11] += ai * b11;
    T[i + 12] += ai * b12;
    T[i + 13] += ai * b13;
    T[i + 14] += ai * b14;
    T[i + 15] += ai * b15;
  }
  for (let i = 0; i < 15; i++) T[i] += 38 * T[i + 16];
  for (let i = 0; i < 16; i++) r[i] = T[i];
  settle(r);
}

function sqrPortable(r: Fe, a: Fe): void {
  mulPortable(r, a, a);
}

/** The canonical 32-byte little-endian encoding (fully reduced below p). */
function packPortable(o: Bytes, n: Fe): void {
  const t = fePortable();
  const m = fePortable();
  setPortable(t, n);
  carry(t);
  carry(t);
  carry(t);
  for (let j = 0; j < 2; j++) {
    // m = t - p; keep it when it did not borrow
    m[0] = t[0] - 0xffed;
    for (let i = 1; i < 15; i++) {
      m[i] = t[i] - 0xffff - ((m[i - 1] >>> 16) & 1);
      m[i - 1] = m[i - 1] & 0xffff;
    }
    m[15] = t[15] - 0x7fff - ((m[14] >>> 16) & 1);
    const borrow = (m[15] >>> 16) & 1;
    m[14] = m[14] & 0xffff;
    if (borrow === 0) setPortable(t, m);
  }
  for (let i = 0; i < 16; i++) {
    o[2 * i] = t[i] & 0xff;
    o[2 * i + 1] = (t[i] >>> 8) & 0xff;
  }
}

function unpackPortable(r: Fe, b: Bytes): void {
  for (let i = 0; i < 16; i++) r[i] = b[2 * i] + b[2 * i + 1] * 256;
  r[15] = r[15] & 0x7fff;
}

/** Written out: the table path runs this 384 times a verification. */
function unpackAtPortable(r: Fe, b: Bytes, at: number): void {
  r[0] = b[at] + b[at + 1] * 256; r[1] = b[at + 2] + b[at + 3] * 256;
  r[2] = b[at + 4] + b[at + 5] * 256; r[3] = b[at + 6] + b[at + 7] * 256;
  r[4] = b[at + 8] + b[at + 9] * 256; r[5] = b[at + 10] + b[at + 11] * 256;
  r[6] = b[at + 12] + b[at + 13] * 256; r[7] = b[at + 14] + b[at + 15] * 256;
  r[8] = b[at + 16] + b[at + 17] * 256; r[9] = b[at + 18] + b[at + 19] * 256;
  r[10] = b[at + 20] + b[at + 21] * 256; r[11] = b[at + 22] + b[at + 23] * 256;
  r[12] = b[at + 24] + b[at + 25] * 256; r[13] = b[at + 26] + b[at + 27] * 256;
  r[14] = b[at + 28] + b[at + 29] * 256; r[15] = b[at + 30] + b[at + 31] * 256;
}

// --- The operations: the target's natives where it handed them in ------------

export const set: (r: Fe, a: Fe) => void = NATIVE !== undefined ? NATIVE.set : setPortable;
export const add: (r: Fe, a: Fe, b: Fe) => void = NATIVE !== undefined ? NATIVE.add : addPortable;
export const sub: (r: Fe, a: Fe, b: Fe) => void = NATIVE !== undefined ? NATIVE.sub : subPortable;
/** r = a * b mod p. r may alias a or b. */
export const mul: (r: Fe, a: Fe, b: Fe) => void = NATIVE !== undefined ? NATIVE.mul : PRODUCT !== undefined ? PRODUCT.mul : mulPortable;
export const sqr: (r: Fe, a: Fe) => void = NATIVE !== undefined ? NATIVE.sqr : PRODUCT !== undefined ? PRODUCT.sqr : sqrPortable;
/** The canonical 32-byte little-endian encoding (fully reduced below p). */
export const pack: (o: Bytes, n: Fe) => void = NATIVE !== undefined ? NATIVE.pack : packPortable;
/** From 32 little-endian bytes; the top bit (a sign bit in point encodings) is ignored. */
export const unpack: (r: Fe, b: Bytes) => void = NATIVE !== undefined ? NATIVE.unpack : unpackPortable;
/** r = the canonical element at b[at..at + 32) (table entries). */
export const unpackAt: (r: Fe, b: Bytes, at: number) => void = NATIVE !== undefined ? NATIVE.unpackAt : unpackAtPortable;

/** r = a^(2^n) by n squarings. */
function sqrN(r: Fe, a: Fe, n: number): void {
  sqr(r, a);
  for (let i = 1; i < n; i++) sqr(r, r);
}

// Shared tail of the inversion and square-root chains (ref10's addition chain):
// returns [scratch, z^(2^250 - 1), z^11]. Cost 250 S + 11 M. Its scratch is made
// per call, not held by the module (on Espruino 8 elements are 100 variables).
function chain250(z: Fe): Fe[] {
  const z2 = fe();
  const z9 = fe();
  const z11 = fe();
  const t0 = fe();
  const t1 = fe();
  const t250 = fe();
  const t10 = fe();
  const t50 = fe();
  sqr(z2, z); // z^2
  sqrN(t0, z2, 2); // z^8
  mul(z9, z, t0); // z^9
  mul(z11, z2, z9); // z^11
  sqr(t0, z11); // z^22
  mul(t0, z9, t0); // z^(2^5 - 1) = z^31
  sqrN(t1, t0, 5);
  mul(t1, t1, t0); // z^(2^10 - 1)
  set(t10, t1);
  sqrN(t0, t1, 10);
  mul(t0, t0, t10); // z^(2^20 - 1)
  sqrN(t250, t0, 20);
  mul(t250, t250, t0); // z^(2^40 - 1)
  sqrN(t250, t250, 10);
  mul(t250, t250, t10); // z^(2^50 - 1)
  set(t50, t250);
  sqrN(t0, t250, 50);
  mul(t0, t0, t50); // z^(2^100 - 1)
  sqrN(t1, t0, 100);
  mul(t1, t1, t0); // z^(2^200 - 1)
  sqrN(t1, t1, 50);
  mul(t250, t1, t50); // z^(2^250 - 1)
  return [t0, t250, z11];
}

/** r = z^(p - 2) = 1/z (Fermat). 255 S + 11 M. */
export function inv(r: Fe, z: Fe): void {
  if (NATIVE !== undefined && NATIVE.inv !== undefined) return NATIVE.inv(r, z);
  const c = chain250(z);
  sqrN(c[0], c[1], 5); // z^(2^255 - 32)
  mul(r, c[0], c[2]); // z^(2^255 - 21)
}

/** r = z^((p - 5) / 8) = z^(2^252 - 3), for the square root in point decoding. 252 S + 11 M. */
export function pow2523(r: Fe, z: Fe): void {
  if (NATIVE !== undefined && NATIVE.pow2523 !== undefined) return NATIVE.pow2523(r, z);
  const c = chain250(z);
  sqrN(c[0], c[1], 2); // z^(2^252 - 4)
  mul(r, c[0], z); // z^(2^252 - 3)
}

/** True when the 32 bytes (top bit ignored) encode a number >= p: not canonical. */
export function isNonCanonical(b: Bytes): boolean {
  if ((b[31] & 0x7f) !== 0x7f) return false;
  for (let i = 30; i >= 1; i--) if (b[i] !== 0xff) return false;
  return b[0] >= 0xed;
}

const PB = alloc(32);
const PB2 = alloc(32);

/** The low bit of the canonical value: the "negative" x of RFC 8032. */
export function isOdd(a: Fe): number {
  pack(PB, a);
  return PB[0] & 1;
}

export function isZero(a: Fe): boolean {
  pack(PB, a);
  for (let i = 0; i < 32; i++) if (PB[i] !== 0) return false;
  return true;
}

export function equal(a: Fe, b: Fe): boolean {
  pack(PB, a);
  pack(PB2, b);
  for (let i = 0; i < 32; i++) if (PB[i] !== PB2[i]) return false;
  return true;
}
