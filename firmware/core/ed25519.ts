// Ed25519 signature verification (RFC 8032, pure Ed25519), strict as SPEC
// section 2 requires, without BigInt. Reads top to bottom: curve constants,
// points, encoding, scalars, verify.
//
// Strictness: S < L (no malleable S); A and R canonical (y < p, and no
// "negative zero" x); small-order A rejected; then the cofactorless equation
// [S]B = R + [k]A, checked by encoding R' = [S]B - [k]A and comparing it with
// R byte for byte. This agrees with every case of Wycheproof's ed25519_test.
import { type Bytes, alloc, concat, slice } from "./bytes";
import { sha512 } from "./sha512";
import {
  type Fe, fe, set, add, sub, mul, sqr, inv, pow2523, pack, unpack, isNonCanonical, isOdd, isZero, equal,
} from "./field25519";

export type Ed25519Check =
  | "OK"
  | "BAD_LENGTH"
  | "NON_CANONICAL_S"
  | "NON_CANONICAL_R"
  | "BAD_PUBLIC_KEY"
  | "SMALL_ORDER_PUBLIC_KEY"
  | "MISMATCH";

// --- Curve constants (RFC 8032 5.1), radix 2^16 limbs ------------------------

/** d = -121665/121666 */
const D = fe([0x78a3, 0x1359, 0x4dca, 0x75eb, 0xd8ab, 0x4141, 0x0a4d, 0x0070, 0xe898, 0x7779, 0x4079, 0x8cc7, 0xfe73, 0x2b6f, 0x6cee, 0x5203]);
/** 2d */
const D2 = fe([0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0, 0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df, 0xd9dc, 0x2406]);
/** sqrt(-1) = 2^((p-1)/4) */
const SQRT_M1 = fe([0xa0b0, 0x4a0e, 0x1b27, 0xc4ee, 0xe478, 0xad2f, 0x1806, 0x2f43, 0xd7a7, 0x3dfb, 0x0099, 0x2b4d, 0xdf0b, 0x4fc1, 0x2480, 0x2b83]);
/** Base point B = (x, 4/5), x even */
const BX = fe([0xd51a, 0x8f25, 0x2d60, 0xc956, 0xa7b2, 0x9525, 0xc760, 0x692c, 0xdc5c, 0xfdd6, 0xe231, 0xc0a4, 0x53fe, 0xcd6e, 0x36d3, 0x2169]);
const BY = fe([0x6658, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666]);
/** Group order L = 2^252 + 27742317777372353535851937790883648493, little-endian bytes */
const L = [
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/** Exposed for the tests that check them against their definitions. */
export const CONSTANTS = { D, D2, SQRT_M1, BX, BY, L };

// --- Points in extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z ---

export interface Point {
  x: Fe;
  y: Fe;
  z: Fe;
  t: Fe;
}

export function point(): Point {
  return { x: fe(), y: fe(), z: fe(), t: fe() };
}

function setPoint(r: Point, p: Point): void {
  set(r.x, p.x);
  set(r.y, p.y);
  set(r.z, p.z);
  set(r.t, p.t);
}

function setIdentity(r: Point): void {
  set(r.x, ZERO);
  set(r.y, ONE);
  set(r.z, ONE);
  set(r.t, ZERO);
}

const ZERO = fe();
const ONE = fe([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

// Scratch for the point formulas (never re-entered).
const a = fe();
const b = fe();
const c = fe();
const d = fe();
const e = fe();
const f = fe();
const g = fe();
const h = fe();

/**
 * r = p + q. add-2008-hwcd-3 (a = -1, k = 2d), complete, unified.
 * Cost 8M + 1M by 2d. r may alias p or q.
 */
export function addPoints(r: Point, p: Point, q: Point): void {
  sub(a, p.y, p.x);
  sub(h, q.y, q.x);
  mul(a, a, h); // A = (Y1 - X1)(Y2 - X2)
  add(b, p.y, p.x);
  add(h, q.y, q.x);
  mul(b, b, h); // B = (Y1 + X1)(Y2 + X2)
  mul(c, p.t, q.t);
  mul(c, c, D2); // C = T1 * 2d * T2
  mul(d, p.z, q.z);
  add(d, d, d); // D = 2 Z1 Z2
  sub(e, b, a); // E = B - A
  sub(f, d, c); // F = D - C
  add(g, d, c); // G = D + C
  add(h, b, a); // H = B + A
  mul(r.x, e, f);
  mul(r.y, g, h);
  mul(r.t, e, h);
  mul(r.z, f, g);
}

/** r = 2p. dbl-2008-hwcd (a = -1). Cost 4M + 4S. r may alias p. */
export function doublePoint(r: Point, p: Point): void {
  sqr(a, p.x); // A = X1^2
  sqr(b, p.y); // B = Y1^2
  sqr(c, p.z);
  add(c, c, c); // C = 2 Z1^2
  add(e, p.x, p.y);
  sqr(e, e);
  sub(e, e, a);
  sub(e, e, b); // E = (X1 + Y1)^2 - A - B
  sub(g, b, a); // G = D + B with D = -A
  sub(f, g, c); // F = G - C
  add(h, a, b);
  sub(h, ZERO, h); // H = D - B = -(A + B)
  mul(r.x, e, f);
  mul(r.y, g, h);
  mul(r.t, e, h);
  mul(r.z, f, g);
}

function negate(r: Point, p: Point): void {
  sub(r.x, ZERO, p.x);
  set(r.y, p.y);
  set(r.z, p.z);
  sub(r.t, ZERO, p.t);
}

// --- Encoding (RFC 8032 5.1.2 and 5.1.3) ---------------------------------

/** 32 bytes: y, with the low bit of x in the top bit. Cost 1 inversion + 2M. */
export function encodePoint(p: Point): Bytes {
  const zi = fe();
  const x = fe();
  const y = fe();
  inv(zi, p.z);
  mul(x, p.x, zi);
  mul(y, p.y, zi);
  const out = alloc(32);
  pack(out, y);
  out[31] = out[31] | (isOdd(x) << 7);
  return out;
}


/**
 * RFC 8032 5.1.3: decode strictly. Undefined when y is not canonical, when
 * no x exists, or when x = 0 comes with the sign bit set.
 * Cost: 1 pow2523 (252S + 11M) + ~8M.
 */
export function decodePoint(s: Bytes): Point | undefined {
  if (isNonCanonical(s)) return undefined;
  const p = point();
  unpack(p.y, s);
  set(p.z, ONE);
  const u = fe();
  const v = fe();
  const v3 = fe();
  const t = fe();
  sqr(u, p.y);
  mul(v, u, D);
  sub(u, u, ONE); // u = y^2 - 1
  add(v, v, ONE); // v = d y^2 + 1
  sqr(v3, v);
  mul(v3, v3, v); // v^3
  sqr(t, v3);
  mul(t, t, v); // v^7
  mul(t, t, u); // u v^7
  pow2523(t, t); // (u v^7)^((p-5)/8)
  mul(t, t, v3);
  mul(p.x, t, u); // x = u v^3 (u v^7)^((p-5)/8)
  sqr(t, p.x);
  mul(t, t, v); // v x^2
  if (!equal(t, u)) {
    const negU = fe();
    sub(negU, ZERO, u);
    if (!equal(t, negU)) return undefined; // not a square: no point
    mul(p.x, p.x, SQRT_M1);
  }
  const sign = s[31] >>> 7;
  if (isZero(p.x) && sign === 1) return undefined; // "negative zero" is not canonical
  if (isOdd(p.x) !== sign) sub(p.x, ZERO, p.x);
  mul(p.t, p.x, p.y);
  return p;
}

/** True when [8]P is the identity: P is in the small (8-)torsion subgroup. 3 doublings. */
export function isSmallOrder(p: Point): boolean {
  const q = point();
  doublePoint(q, p);
  doublePoint(q, q);
  doublePoint(q, q);
  const yz = fe();
  sub(yz, q.y, q.z);
  return isZero(q.x) && isZero(yz);
}

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
  const x: number[] = [];
  for (let i = 0; i < 64; i++) x.push(h[i]);
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

const BASE: Point = { x: BX, y: BY, z: fe([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), t: fe() };
mul(BASE.t, BX, BY);

/**
 * [s1]P1 + [s2]P2 by Straus-Shamir: one chain of 256 doublings with an
 * addition of P1, P2 or P1 + P2 where bits are set. Cost ~256 (4M + 4S) + ~192 * 9M.
 */
export function doubleScalarMul(s1: Bytes, p1: Point, s2: Bytes, p2: Point): Point {
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

export function ed25519Verify(publicKey: Bytes, message: Bytes, signature: Bytes): Ed25519Check {
  if (publicKey.length !== 32 || signature.length !== 64) return "BAD_LENGTH";
  const r = slice(signature, 0, 32);
  const s = slice(signature, 32, 64);
  if (!scalarIsCanonical(s)) return "NON_CANONICAL_S";
  if (isNonCanonical(r) || ((r[31] & 0x80) !== 0 && isXZeroEncoding(r))) return "NON_CANONICAL_R";
  const A = decodePoint(publicKey);
  if (A === undefined) return "BAD_PUBLIC_KEY";
  if (isSmallOrder(A)) return "SMALL_ORDER_PUBLIC_KEY";
  const k = reduce64(sha512(concat([r, publicKey, message]))); // k = H(R || A || M) mod L
  const minusA = point();
  negate(minusA, A);
  const rCheck = encodePoint(doubleScalarMul(s, BASE, k, minusA)); // R' = [S]B - [k]A
  for (let i = 0; i < 32; i++) if (rCheck[i] !== r[i]) return "MISMATCH";
  return "OK";
}
