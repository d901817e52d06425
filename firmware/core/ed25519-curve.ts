// The Ed25519 curve (RFC 8032 5.1) over field25519: constants, points in
// extended coordinates, addition and doubling, strict encoding and decoding.
import { type Bytes, alloc, bytesOf } from "./bytes";
import {
  type Fe, fe, set, add, sub, mul, sqr, inv, pow2523, pack, unpack, isNonCanonical, isOdd, isZero, equal,
} from "./field25519";

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
/** Group order L = 2^252 + 27742317777372353535851937790883648493, little-endian bytes (as Bytes: on Espruino 4 variables, not 33) */
const L = bytesOf([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

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

export function setPoint(r: Point, p: Point): void {
  set(r.x, p.x);
  set(r.y, p.y);
  set(r.z, p.z);
  set(r.t, p.t);
}

export function setIdentity(r: Point): void {
  set(r.x, ZERO);
  set(r.y, ONE);
  set(r.z, ONE);
  set(r.t, ZERO);
}

export const ZERO = fe();
export const ONE = fe([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

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

export function negate(r: Point, p: Point): void {
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

