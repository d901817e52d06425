// Precomputed tables for Ed25519 verification: the base point's, and one per
// issuer key, made once (at boot, at key set install) and kept in flash.
//
// A scalar is written in 64 signed radix-16 digits e[i] in [-8, 8] (ref10's
// recoding), and sP = sum over g = 0..3 of 16^g * sum over m = 0..15 of
// e[4m + g] * 2^(16m) P. The table holds jP * 2^(16m) for m = 0..15 and
// j = 1..8, so a product costs 64 table additions and 12 doublings, and two
// products share the doublings: [S]B - [k]A is 128 additions (7M each) and 12
// doublings, against 256 doublings and ~192 additions without tables.
//
// Entry (m, j) is 96 bytes: y + x, y - x and 2d * x * y of the affine point,
// each canonical little-endian. 16 * 8 entries: 12,288 bytes.
import { type Bytes, alloc } from "./bytes";
import { type Fe, fe, set, add, sub, mul, inv, pack, unpack } from "./field25519";
import { type Point, point, setPoint, addPoints, doublePoint, CONSTANTS, ONE } from "./ed25519-curve";

export const TABLE_BYTES = 16 * 8 * 96;

/** The table of P: 128 points, then one batched inversion to make them affine. */
export function buildTable(p: Point): Bytes {
  const pts: Point[] = [];
  const base = point();
  setPoint(base, p);
  for (let m = 0; m < 16; m++) {
    if (m > 0) for (let i = 0; i < 16; i++) doublePoint(base, base); // 2^16 times the last base
    const first = point();
    setPoint(first, base);
    pts.push(first);
    for (let j = 2; j <= 8; j++) {
      const q = point();
      addPoints(q, pts[pts.length - 1], base);
      pts.push(q);
    }
  }
  // Montgomery's trick: one inversion for all 128 Z.
  const n = pts.length;
  const prefix: Fe[] = [];
  const acc = fe([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  for (let i = 0; i < n; i++) {
    prefix.push(fe());
    set(prefix[i], acc);
    mul(acc, acc, pts[i].z);
  }
  const accInv = fe();
  inv(accInv, acc);
  const out = alloc(TABLE_BYTES);
  const zi = fe();
  const x = fe();
  const y = fe();
  const t = fe();
  const buf = alloc(32);
  for (let i = n - 1; i >= 0; i--) {
    mul(zi, accInv, prefix[i]); // 1 / Z_i
    mul(accInv, accInv, pts[i].z);
    mul(x, pts[i].x, zi);
    mul(y, pts[i].y, zi);
    add(t, y, x);
    put(out, i * 96, t, buf);
    sub(t, y, x);
    put(out, i * 96 + 32, t, buf);
    mul(t, x, y);
    mul(t, t, CONSTANTS.D2);
    put(out, i * 96 + 64, t, buf);
  }
  return out;
}

function put(out: Bytes, at: number, v: Fe, buf: Bytes): void {
  pack(buf, v);
  for (let i = 0; i < 32; i++) out[at + i] = buf[i];
}

/** 64 signed radix-16 digits of a 32-byte scalar below 2^255 (ref10's ge_scalarmult_base). */
export function digits(s: Bytes): number[] {
  const e: number[] = [];
  for (let i = 0; i < 32; i++) {
    e.push(s[i] & 15);
    e.push((s[i] >>> 4) & 15);
  }
  let carry = 0;
  for (let i = 0; i < 63; i++) {
    e[i] += carry;
    carry = Math.floor((e[i] + 8) / 16); // e[i] + 8 >= 0
    e[i] -= carry * 16;
  }
  e[63] += carry;
  return e;
}

// Scratch for the table addition (never re-entered).
const ypx = fe();
const ymx = fe();
const xy2d = fe();
const ta = fe();
const tb = fe();
const tc = fe();
const td = fe();

/**
 * r += sign(e) * entry (m, |e|) of table. madd-2008-hwcd-3 with Z2 = 1: 7M.
 * A negative digit swaps y + x with y - x and negates 2dxy.
 */
function addEntry(r: Point, table: Bytes, m: number, e: number): void {
  const at = (m * 8 + (e < 0 ? -e : e) - 1) * 96;
  unpackAt(e < 0 ? ymx : ypx, table, at);
  unpackAt(e < 0 ? ypx : ymx, table, at + 32);
  unpackAt(xy2d, table, at + 64);
  sub(ta, r.y, r.x);
  mul(ta, ta, ymx); // A = (Y1 - X1)(y2 - x2)
  add(tb, r.y, r.x);
  mul(tb, tb, ypx); // B = (Y1 + X1)(y2 + x2)
  mul(tc, r.t, xy2d); // C = T1 * 2d * x2 * y2
  add(td, r.z, r.z); // D = 2 Z1
  sub(r.x, tb, ta); // E = B - A (kept in r.x until the products below)
  add(r.y, tb, ta); // H = B + A
  if (e < 0) {
    add(ta, td, tc); // F = D - (-C)
    sub(tb, td, tc); // G = D + (-C)
  } else {
    sub(ta, td, tc); // F = D - C
    add(tb, td, tc); // G = D + C
  }
  mul(r.t, r.x, r.y); // T3 = E H
  mul(r.x, r.x, ta); // X3 = E F
  mul(r.y, tb, r.y); // Y3 = G H
  mul(r.z, ta, tb); // Z3 = F G
}

const pb = alloc(32);
function unpackAt(r: Fe, b: Bytes, at: number): void {
  for (let i = 0; i < 32; i++) pb[i] = b[at + i];
  unpack(r, pb);
}

/** [s1]P1 - [s2]P2, with P1's and P2's tables: 128 table additions, 12 doublings. */
export function tableMulSub(s1: Bytes, table1: Bytes, s2: Bytes, table2: Bytes): Point {
  const e1 = digits(s1);
  const e2 = digits(s2);
  const q = point();
  set(q.y, ONE);
  set(q.z, ONE);
  for (let g = 3; g >= 0; g--) {
    if (g < 3) for (let i = 0; i < 4; i++) doublePoint(q, q);
    for (let m = 0; m < 16; m++) {
      const d1 = e1[4 * m + g];
      const d2 = e2[4 * m + g];
      if (d1 !== 0) addEntry(q, table1, m, d1);
      if (d2 !== 0) addEntry(q, table2, m, -d2);
    }
  }
  return q;
}
