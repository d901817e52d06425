// Ed25519 signature verification (RFC 8032, pure Ed25519), strict as SPEC
// section 2 requires, without BigInt. Reads top to bottom: scalars, the
// Straus double-scalar product, precomputed tables, verify. The tables are
// an input: the caller hands in the base point's and the key's when it has them.
// The curve (points, encoding) is ed25519-curve.ts; the tables, ed25519-table.ts,
// made by ed25519-table-make.ts.
//
// Strictness: S < L (no malleable S); A and R canonical (y < p, and no
// "negative zero" x); small-order A rejected; then the cofactorless equation
// [S]B = R + [k]A, checked by encoding R' = [S]B - [k]A and comparing it with
// R byte for byte. This agrees with every case of Wycheproof's ed25519_test.
import { type Bytes, alloc, bytesOf, concat, equal, slice } from "./bytes";
import { sha512 } from "./sha512";
import { fe, mul, isNonCanonical } from "./field25519";
import {
  type Point, CONSTANTS, point, addPoints, doublePoint, negate, setIdentity, encodePoint, decodePoint, isSmallOrder,
} from "./ed25519-curve";
import { type Table, type VerifyTables, isTable, tableMulSub } from "./ed25519-table";
import { NATIVES } from "./natives";

const CURVE = NATIVES.curve;
const REDUCE64 = NATIVES.reduce64;
const WHOLE = NATIVES.ed25519Verify;
const TABLED = NATIVES.ed25519VerifyTables;

export type Ed25519Check =
  | "OK"
  | "BAD_LENGTH"
  | "NON_CANONICAL_S"
  | "NON_CANONICAL_R"
  | "BAD_PUBLIC_KEY"
  | "SMALL_ORDER_PUBLIC_KEY"
  | "MISMATCH";

// --- Scalars mod L ------------------------------------------------------------

/** True when the 32-byte little-endian s is below L. */
export function scalarIsCanonical(s: Bytes): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i] < L[i]) return true;
    if (s[i] > L[i]) return false;
  }
  return false; // s == L
}

/**
 * A 64-byte little-endian number mod L, as 32 bytes (TweetNaCl's modL with
 * floor divisions in place of signed shifts, so it is exact on every runtime).
 */
export function reduce64(h: Bytes): Bytes {
  if (REDUCE64 !== undefined) return REDUCE64(h);
  const x: number[] = [];
  for (let i = 0; i < 64; i++) x.push(h[i]);
  return modL(x);
}

/** (a * b + c) mod L for 32-byte little-endian scalars: the S of a signature. */
export function scalarMulAdd(a: Bytes, b: Bytes, c: Bytes): Bytes {
  const x: number[] = [];
  for (let i = 0; i < 64; i++) x.push(i < 32 ? c[i] : 0);
  for (let i = 0; i < 32; i++) for (let j = 0; j < 32; j++) x[i + j] += a[i] * b[j];
  return modL(x);
}

/** 64 little-endian digits of base 256 (each below 2^32) mod L; x is consumed. */
function modL(x: number[]): Bytes {
  for (let i = 63; i >= 32; i--) {
    let carryV = 0;
    let j = i - 32;
    const k = i - 12;
    for (; j < k; j++) {
      x[j] += carryV - 16 * x[i] * L[j - (i - 32)];
      carryV = Math.floor((x[j] + 128) / 256);
      x[j] -= carryV * 256;
    }
    x[j] += carryV;
    x[i] = 0;
  }
  let carryV = 0;
  for (let j = 0; j < 32; j++) {
    x[j] += carryV - Math.floor(x[31] / 16) * L[j];
    carryV = Math.floor(x[j] / 256);
    x[j] -= carryV * 256;
  }
  for (let j = 0; j < 32; j++) x[j] -= carryV * L[j];
  const r = alloc(32);
  for (let i = 0; i < 32; i++) {
    const q = Math.floor(x[i] / 256);
    x[i + 1] += q;
    r[i] = x[i] - q * 256;
  }
  return r;
}

function bit(s: Bytes, i: number): number {
  return (s[i >>> 3] >>> (i & 7)) & 1;
}

const L = CONSTANTS.L;
export const BASE: Point = { x: CONSTANTS.BX, y: CONSTANTS.BY, z: fe([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), t: fe() };
mul(BASE.t, CONSTANTS.BX, CONSTANTS.BY);

/** The base point, for the table maker: a function, so on Espruino the point stays in the curve's part. */
export function basePoint(): Point {
  return BASE;
}

/**
 * [s1]P1 + [s2]P2 by Straus-Shamir: one chain of 256 doublings with an
 * addition of P1, P2 or P1 + P2 where bits are set. Cost ~256 (4M + 4S) + ~192 * 9M.
 */
export function doubleScalarMul(s1: Bytes, p1: Point, s2: Bytes, p2: Point): Point {
  if (CURVE !== undefined) return CURVE.doubleScalarMul(s1, p1, s2, p2);
  const both = point();
  addPoints(both, p1, p2);
  const q = point();
  setIdentity(q);
  for (let i = 255; i >= 0; i--) {
    doublePoint(q, q);
    const b1 = bit(s1, i);
    const b2 = bit(s2, i);
    if (b1 === 1 && b2 === 1) addPoints(q, q, both);
    else if (b1 === 1) addPoints(q, q, p1);
    else if (b2 === 1) addPoints(q, q, p2);
  }
  return q;
}

const ZERO_SCALAR = alloc(32);

/** [s]B: with the base point's table when the caller has one, else one Straus chain. */
export function scalarMulBase(s: Bytes, baseTable?: Table): Point {
  if (baseTable !== undefined && isTable(baseTable)) return tableMulSub(s, baseTable, ZERO_SCALAR, baseTable);
  return doubleScalarMul(s, BASE, ZERO_SCALAR, BASE);
}

// --- Verify (RFC 8032 5.1.7) --------------------------------------------------

/** The encodings of the two points with x = 0: y = 1 (identity) and y = -1 (order 2). */
function isXZeroEncoding(r: Bytes): boolean {
  let rest = 0;
  for (let i = 1; i < 31; i++) rest |= r[i];
  if (rest !== 0) return false;
  const y1 = r[0] === 1 && (r[31] & 0x7f) === 0;
  const yMinus1 = r[0] === 0xec && (r[31] & 0x7f) === 0x7f;
  return y1 || yMinus1;
}

/**
 * The y of the points of order 8 (and, as p - y, of their negatives): with
 * y = 0 (order 4), 1 (the identity) and p - 1 (order 2), the y values of the
 * 8 small-order points, whose canonical encodings are these y with either
 * sign bit (with x = 0, only sign 0 is canonical, checked before).
 */
const Y8 = bytesOf([
  0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a,
]);

/** True when the canonical encoding `a` is one of a small-order point's (no decoding: the library path's check). */
function isSmallOrderEncoding(a: Bytes): boolean {
  let y8 = true;
  let minusY8 = true;
  let zeroOrOne = a[0] <= 1;
  let minusOne = a[0] === 0xec;
  for (let i = 0; i < 32; i++) {
    const v = i === 31 ? a[i] & 0x7f : a[i];
    if (v !== Y8[i]) y8 = false;
    // p - Y8: Y8 + (p - Y8) = p, and p's bytes are 0xed, 0xff ... 0xff, 0x7f.
    if (v !== (i === 0 ? 0xed : i === 31 ? 0x7f : 0xff) - Y8[i]) minusY8 = false;
    if (i > 0 && v !== 0) zeroOrOne = false;
    if (i > 0 && v !== (i === 31 ? 0x7f : 0xff)) minusOne = false;
  }
  return y8 || minusY8 || zeroOrOne || minusOne;
}

/**
 * The platform library's verification (NATIVES.ed25519Verify) behind the
 * core's own checks on A, without decoding A: same verdicts as the core's
 * path (test/conformance.test.ts runs Wycheproof through it on Node). S and
 * R are checked by the caller.
 */
function verifyByLibrary(whole: NonNullable<typeof WHOLE>, publicKey: Bytes, message: Bytes, signature: Bytes): Ed25519Check {
  if (isNonCanonical(publicKey) || ((publicKey[31] & 0x80) !== 0 && isXZeroEncoding(publicKey))) return "BAD_PUBLIC_KEY";
  if (isSmallOrderEncoding(publicKey)) return "SMALL_ORDER_PUBLIC_KEY";
  if (whole(publicKey, message, signature)) return "OK";
  // Refused: say why as the core would (not on the curve, or the equation); refusals are rare.
  return decodePoint(publicKey) === undefined ? "BAD_PUBLIC_KEY" : "MISMATCH";
}

/**
 * Strict verification of `signature` on `message` by `publicKey`. With
 * `tables` (the base point's and this key's, ed25519-table.ts) it takes the
 * table path, about 3x faster; the answer is the same, so a table must be
 * the one made for this key (app/key-tables.ts checks a MAC before use).
 */
export function ed25519Verify(publicKey: Bytes, message: Bytes, signature: Bytes, tables?: VerifyTables): Ed25519Check {
  if (publicKey.length !== 32 || signature.length !== 64) return "BAD_LENGTH";
  const r = slice(signature, 0, 32);
  const s = slice(signature, 32, 64);
  if (!scalarIsCanonical(s)) return "NON_CANONICAL_S";
  if (isNonCanonical(r) || ((r[31] & 0x80) !== 0 && isXZeroEncoding(r))) return "NON_CANONICAL_R";
  if (WHOLE !== undefined) return verifyByLibrary(WHOLE, publicKey, message, signature);
  // A key's table exists only for a key that decodes and is not of small order.
  // The target's table path whole checks the tables as isTable does (once per table).
  if (tables !== undefined && TABLED !== undefined) {
    const whole = TABLED(publicKey, message, signature, tables.base, tables.key);
    if (whole !== undefined) return whole ? "OK" : "MISMATCH";
  }
  const useTables = tables !== undefined && isTable(tables.base) && isTable(tables.key);
  let A: Point | undefined;
  if (!useTables) {
    A = decodePoint(publicKey);
    if (A === undefined) return "BAD_PUBLIC_KEY";
    if (isSmallOrder(A)) return "SMALL_ORDER_PUBLIC_KEY";
  }
  const k = reduce64(sha512(concat([r, publicKey, message]))); // k = H(R || A || M) mod L
  let rPoint: Point; // R' = [S]B - [k]A
  if (useTables) rPoint = tableMulSub(s, (tables as VerifyTables).base, k, (tables as VerifyTables).key);
  else {
    negate(A as Point, A as Point); // -A in place: A is not read again, and a point less at the peak (a Pico's KEYSET)
    rPoint = doubleScalarMul(s, BASE, k, A as Point);
  }
  const rCheck = encodePoint(rPoint);
  for (let i = 0; i < 32; i++) if (rCheck[i] !== r[i]) return "MISMATCH";
  return "OK";
}
