// The precomputed Ed25519 tables (core/ed25519-table.ts) in flash: one for the
// base point, one per root and one per QR or card key of the installed key
// set, made in the background after boot and after each install, one table
// per step so scans are served in between (a table is about two
// verifications' work). Stored tables are registered at boot before the key
// set is checked, so that check uses the root's table.
//
// A table is 16 files, one per subtable: [768 bytes][public key 32]["PDT1"].
// Each file is erased before it is written, so a power cut leaves it without
// its marker (never an old marker behind new bytes); a table with any file
// missing, unmarked or made for another key is made again. What is registered
// is the flash files themselves: on a microcontroller a Storage read maps
// flash, it does not copy it into RAM, and making a table holds one subtable.
import { type Bytes, alloc, copyInto, toHex } from "../core/bytes";
import { SUBTABLE_BYTES, type Table } from "../core/ed25519-table";
import { emitBaseTable, emitKeyTable, useBaseTable, useKeyTable } from "../core/ed25519";
import { type Keyset, type RootKey, UsageBits } from "../core/keyset";
import type { Storage } from "../hal/storage";

const MARKER = [0x50, 0x44, 0x54, 0x31]; // "PDT1"
const FILE_BYTES = SUBTABLE_BYTES + 32 + 4;
const BASE_KEY = alloc(32); // the base point's files carry 32 zero bytes as their key

/** "tB0".."tBf" for the base point, "t<kid hex>0".."t<kid hex>f" for a key (at most 18 characters). */
export function tableFileName(kid: Bytes | undefined, m: number): string {
  return "t" + (kid === undefined ? "B" : toHex(kid)) + "0123456789abcdef".charAt(m);
}

/** The stored table, when all 16 files are complete and made for this key. */
export function readTable(storage: Storage, kid: Bytes | undefined, publicKey: Bytes): Table | undefined {
  const t: Table = [];
  for (let m = 0; m < 16; m++) {
    const f = storage.read(tableFileName(kid, m));
    if (f === undefined || f.length !== FILE_BYTES) return undefined;
    for (let i = 0; i < 4; i++) if (f[SUBTABLE_BYTES + 32 + i] !== MARKER[i]) return undefined;
    for (let i = 0; i < 32; i++) if (f[SUBTABLE_BYTES + i] !== publicKey[i]) return undefined;
    t.push(f);
  }
  return t;
}

function writer(storage: Storage, kid: Bytes | undefined, publicKey: Bytes): (m: number, sub: Bytes) => void {
  return (m, sub) => {
    const f = alloc(FILE_BYTES);
    copyInto(f, 0, sub, 0, SUBTABLE_BYTES);
    copyInto(f, SUBTABLE_BYTES, publicKey, 0, 32);
    for (let i = 0; i < 4; i++) f[SUBTABLE_BYTES + 32 + i] = MARKER[i];
    const name = tableFileName(kid, m);
    storage.erase(name);
    storage.write(name, f, 0);
  };
}

/** The keys worth a table: the roots (they check each key set, at every boot) and the key set's QR and card keys. */
function keysFor(keyset: Keyset | undefined, roots: RootKey[]): Array<{ kid: Bytes; publicKey: Bytes }> {
  const out: Array<{ kid: Bytes; publicKey: Bytes }> = [];
  for (let i = 0; i < roots.length; i++) out.push(roots[i]);
  if (keyset !== undefined) {
    for (let i = 0; i < keyset.keys.length; i++) {
      const k = keyset.keys[i];
      if ((k.usage & (UsageBits.QR | UsageBits.CARD)) !== 0) out.push(k);
    }
  }
  return out;
}

/**
 * Register every stored table these keys can use and, when `make`, make at
 * most one that is missing. True when it made one (call again), else false.
 */
export function tablesStep(storage: Storage, keyset: Keyset | undefined, roots: RootKey[] = [], make = true): boolean {
  let base = readTable(storage, undefined, BASE_KEY);
  if (base === undefined) {
    if (!make) return false;
    emitBaseTable(writer(storage, undefined, BASE_KEY));
    base = readTable(storage, undefined, BASE_KEY);
    useBaseTable(base);
    return true;
  }
  useBaseTable(base);
  const keys = keysFor(keyset, roots);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    let t = readTable(storage, k.kid, k.publicKey);
    if (t === undefined && make) {
      if (!emitKeyTable(k.publicKey, writer(storage, k.kid, k.publicKey))) continue; // a refused key: nothing to speed up
      t = readTable(storage, k.kid, k.publicKey);
      useKeyTable(k.publicKey, t);
      return true;
    }
    if (t !== undefined) useKeyTable(k.publicKey, t);
  }
  return false;
}
