// For the Espruino memory check of npm run bench: verification with the image
// and the tables both in Storage (flash), inside a fixed 2,630-variable pool.
import { fromHex } from "../firmware/core/bytes";
import { ed25519Verify } from "../firmware/core/ed25519";
import { type TableSet, tablesFor } from "../firmware/core/ed25519-table";
import type { Keyset } from "../firmware/core/keyset";
import { readTable, tablesStep } from "../firmware/app/key-tables";
import { storage } from "../firmware/targets/espruino/main";

// The MAC key of the table files (app/key-tables.ts); a device derives its own from its key.
const SECRET = fromHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff") as Uint8Array;

function keysetWith(pub: string): Keyset {
  const publicKey = fromHex(pub) as Uint8Array;
  return { keys: [{ kid: fromHex("0102030405060708") as Uint8Array, publicKey, nbf: 0, exp: 0, usage: 1 }] } as unknown as Keyset;
}

/** Make the tables in Storage (one step per call; "more" while some remain). */
export function prepare(pub: string): string {
  return tablesStep(storage, keysetWith(pub), SECRET, { base: undefined, keys: [] }) ? "more" : "done";
}

/** Read the tables from Storage and verify with them: the verdict, and whether the tables were there. */
export function verify(pub: string, msg: string, sig: string): string {
  const ks = keysetWith(pub);
  const tables: TableSet = { base: undefined, keys: [] };
  const more = tablesStep(storage, ks, SECRET, tables); // reads; makes nothing when all are stored
  const stored = readTable(storage, ks.keys[0].kid, ks.keys[0].publicKey, SECRET) !== undefined;
  const publicKey = fromHex(pub) as Uint8Array;
  const verdict = ed25519Verify(publicKey, fromHex(msg) as Uint8Array, fromHex(sig) as Uint8Array, tablesFor(tables, publicKey));
  return verdict + (stored && !more ? "(tables)" : "(no tables)");
}
