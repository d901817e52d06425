// The precomputed Ed25519 tables (core/ed25519-table.ts) in flash: one for the
// base point and one per QR or card key of the installed key set, made in the
// background after boot and after each install, one table per step so scans
// are served in between (a table is about two verifications' work). Roots
// get none: a root checks a key set once per boot or install, and a planted
// root table must never decide what key set installs.
//
// A table is 16 files, one per subtable: [768 bytes][public key 32][MAC 16]
// ["PDT2"]. The MAC (SHA-512 of a device secret, the subtable index, the key
// and the bytes, cut to 16) is checked before a file is used, so a file
// planted or changed in flash is never trusted on its marker: it is made
// again. Each file is erased before it is written, so a power cut leaves it
// without its marker (never an old marker behind new bytes). What verification
// is handed (a TableSet, app/table-maker.ts keeps it) is the flash files
// themselves: on a microcontroller a Storage read maps flash, it does not copy
// it into RAM, and making a table holds one subtable.
import { type Bytes, alloc, concat, copyInto, slice, toHex } from "../core/bytes";
import { sha512 } from "../core/sha512";
import { SUBTABLE_BYTES, type Table, type TableSet } from "../core/ed25519-table";
import { emitBaseTable, emitKeyTable } from "../core/ed25519-table-make";
import { type Keyset, UsageBits } from "../core/keyset";
import type { Storage } from "../hal/storage";

const MARKER = [0x50, 0x44, 0x54, 0x32]; // "PDT2"
const MAC_BYTES = 16;
const FILE_BYTES = SUBTABLE_BYTES + 32 + MAC_BYTES + 4;

function mac(secret: Bytes, m: number, publicKey: Bytes, sub: Bytes): Bytes {
  const idx = alloc(1);
  idx[0] = m;
  return slice(sha512(concat([secret, idx, publicKey, slice(sub, 0, SUBTABLE_BYTES)])), 0, MAC_BYTES);
}
const BASE_KEY = alloc(32); // the base point's files carry 32 zero bytes as their key

/** "tB0".."tBf" for the base point, "t<kid hex>0".."t<kid hex>f" for a key (at most 18 characters). */
export function tableFileName(kid: Bytes | undefined, m: number): string {
  return "t" + (kid === undefined ? "B" : toHex(kid)) + "0123456789abcdef".charAt(m);
}

/** The stored table, when all 16 files are complete and made for this key. */
export function readTable(storage: Storage, kid: Bytes | undefined, publicKey: Bytes, secret: Bytes): Table | undefined {
  const t: Table = [];
  for (let m = 0; m < 16; m++) {
    const f = storage.read(tableFileName(kid, m));
    if (f === undefined || f.length !== FILE_BYTES) return undefined;
    for (let i = 0; i < 4; i++) if (f[FILE_BYTES - 4 + i] !== MARKER[i]) return undefined;
    for (let i = 0; i < 32; i++) if (f[SUBTABLE_BYTES + i] !== publicKey[i]) return undefined;
    const want = mac(secret, m, publicKey, f);
    for (let i = 0; i < MAC_BYTES; i++) if (f[SUBTABLE_BYTES + 32 + i] !== want[i]) return undefined;
    t.push(f);
  }
  return t;
}

function writer(storage: Storage, kid: Bytes | undefined, publicKey: Bytes, secret: Bytes): (m: number, sub: Bytes) => void {
  return (m, sub) => {
    const f = alloc(FILE_BYTES);
    copyInto(f, 0, sub, 0, SUBTABLE_BYTES);
    copyInto(f, SUBTABLE_BYTES, publicKey, 0, 32);
    copyInto(f, SUBTABLE_BYTES + 32, mac(secret, m, publicKey, sub), 0, MAC_BYTES);
    for (let i = 0; i < 4; i++) f[FILE_BYTES - 4 + i] = MARKER[i];
    const name = tableFileName(kid, m);
    storage.erase(name);
    storage.write(name, f, 0);
  };
}

/** The keys worth a table: the key set's QR and card keys (never a root). */
function keysFor(keyset: Keyset | undefined): Array<{ kid: Bytes; publicKey: Bytes }> {
  const out: Array<{ kid: Bytes; publicKey: Bytes }> = [];
  if (keyset !== undefined) {
    for (let i = 0; i < keyset.keys.length; i++) {
      const k = keyset.keys[i];
      if ((k.usage & (UsageBits.QR | UsageBits.CARD)) !== 0) out.push(k);
    }
  }
  return out;
}

/**
 * Put into `into` every stored table these keys can use (and only those) and,
 * when `make`, make at most one that is missing. True when it made one (call
 * again), else false.
 */
export function tablesStep(storage: Storage, keyset: Keyset | undefined, secret: Bytes, into: TableSet, make = true): boolean {
  let base = readTable(storage, undefined, BASE_KEY, secret);
  if (base === undefined) {
    if (!make) return false;
    emitBaseTable(writer(storage, undefined, BASE_KEY, secret));
    into.base = readTable(storage, undefined, BASE_KEY, secret);
    return true;
  }
  into.base = base;
  const keys = keysFor(keyset);
  const found: TableSet["keys"] = [];
  let made = false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    let t = readTable(storage, k.kid, k.publicKey, secret);
    if (t === undefined && make && !made) {
      if (!emitKeyTable(k.publicKey, writer(storage, k.kid, k.publicKey, secret))) continue; // a refused key: nothing to speed up
      t = readTable(storage, k.kid, k.publicKey, secret);
      made = true;
    }
    if (t !== undefined) found.push({ publicKey: k.publicKey, table: t });
  }
  into.keys = found;
  return made;
}
