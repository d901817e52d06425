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
// each canonical little-endian; subtable m holds j = 1..8: 768 bytes, and a
// table is 16 subtables (12,288 bytes), kept as 16 flash files on a device.
import { type Bytes, alloc, equal } from "./bytes";
import { type Fe, fe, set, add, sub, mul, inv, pack, unpackAt } from "./field25519";
import { type Point, point, setPoint, addPoints, doublePoint, CONSTANTS, ONE } from "./ed25519-curve";
import { NATIVES } from "./natives";

/** A table: 16 subtables (m = 0..15) of 8 entries (j = 1..8), 96 bytes each. */
export type Table = Bytes[];
export const SUBTABLE_BYTES = 8 * 96;

/** What a verification with tables needs: the base point's table and the key's. */
export interface VerifyTables {
  base: Table;
  key: Table;
}

/**
 * The tables a verifier holds, handed to verification with the key set
 * (app/table-maker.ts keeps a device's, read from flash): the base point's,
 * and some public keys' (a table is a pure function of its key).
 */
export interface TableSet {
  base: Table | undefined;
  keys: Array<{ publicKey: Bytes; table: Table }>;
}

/** The tables for a verification with this key, when the set holds both; else undefined (the portable path). */
export function tablesFor(set: TableSet | undefined, publicKey: Bytes): VerifyTables | undefined {
  if (set === undefined || set.base === undefined) return undefined;
  for (let i = 0; i < set.keys.length; i++) if (equal(set.keys[i].publicKey, publicKey)) return { base: set.base, key: set.keys[i].table };
  return undefined;
}

/**
 * The table of P, one subtable at a time: 8 points, one batched inversion to
 * make them affine, then emit(m, 768 bytes). Memory stays at one subtable, so
 * a small device can write each to flash as it comes.
 */
export function buildTable(p: Point, emit: (m: number, subtable: Bytes) => void): void {
  const base = point();
  setPoint(base, p);
  const pts: Point[] = [];
  const prefix: Fe[] = [];
  for (let j = 0; j < 8; j++) {
    pts.push(point());
    prefix.push(fe());
  }
  const acc = fe();
  const accInv = fe();
  const zi = fe();
  const x = fe();
  const y = fe();
  const t = fe();
  const buf = alloc(32);
  for (let m = 0; m < 16; m++) {
    if (m > 0) for (let i = 0; i < 16; i++) doublePoint(base, base); // 2^16 times the last base
    setPoint(pts[0], base);
    for (let j = 1; j < 8; j++) addPoints(pts[j], pts[j - 1], base);
    // Montgomery's trick: one inversion for the 8 Z.
    set(acc, ONE);
    for (let j = 0; j < 8; j++) {
      set(prefix[j], acc);
      mul(acc, acc, pts[j].z);
    }
    inv(accInv, acc);
    const out = alloc(SUBTABLE_BYTES);
    for (let j = 7; j >= 0; j--) {
      mul(zi, accInv, prefix[j]); // 1 / Z_j
      mul(accInv, accInv, pts[j].z);
      mul(x, pts[j].x, zi);
      mul(y, pts[j].y, zi);
      add(t, y, x);
      put(out, j * 96, t, buf);
      sub(t, y, x);
      put(out, j * 96 + 32, t, buf);
      mul(t, x, y);
      mul(t, t, CONSTANTS.D2);
      put(out, j * 96 + 64, t, buf);
    }
    emit(m, out);
  }
}

const CURVE = NATIVES.curve;

/** 16 subtables of at least 768 bytes (flash files may carry more after them). */
export function isTable(t: Table | undefined): boolean {
  if (t === undefined || t.length !== 16) return false;
  for (let m = 0; m < 16; m++) if (t[m].length < SUBTABLE_BYTES) return false;
  return true;
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

/**
 * r += sign(e) * entry (m, |e|) of table. madd-2008-hwcd-3 with Z2 = 1: 7M.
 * A negative digit swaps y + x with y - x and negates 2dxy. `s`: 7 elements
 * of scratch, made per multiplication, not held by the module (a board
 * without tables never makes them: on a Pico that is 90 variables).
 */
function addEntry(r: Point, table: Table, m: number, e: number, s: Fe[]): void {
  const ypx = s[0];
  const ymx = s[1];
  const xy2d = s[2];
  const ta = s[3];
  const tb = s[4];
  const tc = s[5];
  const td = s[6];
  const entries = table[m];
  const at = ((e < 0 ? -e : e) - 1) * 96;
  unpackAt(e < 0 ? ymx : ypx, entries, at);
  unpackAt(e < 0 ? ypx : ymx, entries, at + 32);
  unpackAt(xy2d, entries, at + 64);
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

/** [s1]P1 - [s2]P2, with P1's and P2's tables: 128 table additions, 12 doublings. */
export function tableMulSub(s1: Bytes, table1: Table, s2: Bytes, table2: Table): Point {
  const native = CURVE !== undefined && CURVE.tableMulSub !== undefined ? CURVE.tableMulSub(s1, table1, s2, table2) : undefined;
  if (native !== undefined) return native;
  const e1 = digits(s1);
  const e2 = digits(s2);
  const q = point();
  set(q.y, ONE);
  set(q.z, ONE);
  const s = [fe(), fe(), fe(), fe(), fe(), fe(), fe()];
  for (let g = 3; g >= 0; g--) {
    if (g < 3) for (let i = 0; i < 4; i++) doublePoint(q, q);
    for (let m = 0; m < 16; m++) {
      const d1 = e1[4 * m + g];
      const d2 = e2[4 * m + g];
      if (d1 !== 0) addEntry(q, table1, m, d1, s);
      if (d2 !== 0) addEntry(q, table2, m, -d2, s);
    }
  }
  return q;
}
