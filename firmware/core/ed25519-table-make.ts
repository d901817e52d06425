// Making the Ed25519 tables (ed25519-table.ts says their format and builds
// one): the base point's and a public key's. Only a table maker runs this
// (app/key-tables.ts); verification only reads tables, so on Espruino this
// module is a part of the table maker's, not of the curve's. It calls the
// curve only through functions: its data stays in the curve's part.
import type { Bytes } from "./bytes";
import { type Point, decodePoint, isSmallOrder } from "./ed25519-curve";
import { type Table, buildTable } from "./ed25519-table";
import { basePoint } from "./ed25519";
import { NATIVES } from "./natives";

const COMPACT = NATIVES.compactBytes;

/** A whole table in memory (tests, and runtimes with RAM to spare), compact where the target can hold it so. */
export function collectTable(p: Point): Table {
  const t: Table = [];
  buildTable(p, (_m, sub) => t.push(COMPACT !== undefined ? COMPACT(sub) : sub));
  return t;
}

/** The base point's table (about as much work as two verifications without tables). */
export function makeBaseTable(): Table {
  return collectTable(basePoint());
}

/** The same, subtable by subtable, for a device to write to flash as they come. */
export function emitBaseTable(emit: (m: number, subtable: Bytes) => void): void {
  buildTable(basePoint(), emit);
}

/** A public key's table; undefined for a key verification refuses anyway (not canonical, not on the curve, small order). */
export function makeKeyTable(publicKey: Bytes): Table | undefined {
  const A = tablePoint(publicKey);
  return A === undefined ? undefined : collectTable(A);
}

/** The same, subtable by subtable; false (and nothing emitted) for a refused key. */
export function emitKeyTable(publicKey: Bytes, emit: (m: number, subtable: Bytes) => void): boolean {
  const A = tablePoint(publicKey);
  if (A === undefined) return false;
  buildTable(A, emit);
  return true;
}

function tablePoint(publicKey: Bytes): Point | undefined {
  if (publicKey.length !== 32) return undefined;
  const A = decodePoint(publicKey);
  return A === undefined || isSmallOrder(A) ? undefined : A;
}
