// The verifier's calls of the conformance surface (test/conformance/core-entry.ts
// re-exports them): an Ed25519 verification, a presentation and a device's
// scan, alone in a module so the Cortex-M4 cost model (bench/cortex-m.ts) can
// also measure the heap of the verifier core without the rest of the suite.
import { fromHex, toHex } from "../../firmware/core/bytes";
import { ed25519Verify } from "../../firmware/core/ed25519";
import { makeBaseTable, makeKeyTable } from "../../firmware/core/ed25519-table-make";
import { type TableSet, tablesFor } from "../../firmware/core/ed25519-table";
import { loadKeyset } from "../../firmware/core/keyset";
import { verifyPresentation } from "../../firmware/core/presentation";
import { ReplayCache } from "../../firmware/core/replay";

export function hex(s: string) {
  const b = fromHex(s);
  if (b === undefined) throw "bad hex in test call";
  return b;
}

export function ed25519(pub: string, msg: string, sig: string): string {
  return ed25519Verify(hex(pub), hex(msg), hex(sig));
}

export function keysetFrom(ksHex: string, rootKid: string, rootPub: string) {
  if (ksHex === "") return undefined;
  const r = loadKeyset(hex(ksHex), [{ kid: hex(rootKid), publicKey: hex(rootPub) }]);
  return r.ok ? r.keyset : undefined;
}

/** Verdict, warnings and display of a presentation (one device, fresh replay cache). */
export function presentation(text: string, ksHex: string, rootKid: string, rootPub: string, now: string, trusted: string): string {
  const ks = keysetFrom(ksHex, rootKid, rootPub);
  const r = verifyPresentation(text, ks, { now: Math.floor(Number(now)), trusted: trusted === "1" }, new ReplayCache(8));
  let s = r.verdict + "|" + r.warnings.join(",");
  if (r.display !== undefined) {
    s += "|" + r.display.name + "|" + r.display.dob + "|" + r.display.nikMasked + "|" + r.display.issuer;
  }
  return s;
}

// The precomputed-table path: the base table made once per runtime, each
// key's table made on first use, all kept here and handed to verification.
const TABLES: TableSet = { base: undefined, keys: [] };
const keyTablesMade: Record<string, boolean> = {};

export function ensureBaseTable(): void {
  if (TABLES.base === undefined) TABLES.base = makeBaseTable();
}

function ensureKeyTable(pubHex: string): void {
  if (keyTablesMade[pubHex]) return;
  const pub = hex(pubHex);
  const t = makeKeyTable(pub);
  if (t !== undefined) TABLES.keys.push({ publicKey: pub, table: t });
  keyTablesMade[pubHex] = true;
}

export function ed25519Tabled(pub: string, msg: string, sig: string): string {
  ensureBaseTable();
  ensureKeyTable(pub);
  const p = hex(pub);
  return ed25519Verify(p, hex(msg), hex(sig), tablesFor(TABLES, p));
}

// A device's scan: the key set was loaded (root signature checked) at boot and,
// on a device that makes them, the tables made then; a scan is the QR path alone.
let deviceKeysetHex = "";
let deviceKeyset: ReturnType<typeof keysetFrom>;
let deviceTables = false;

function deviceScan(tables: boolean, text: string, ksHex: string, rootKid: string, rootPub: string, now: string, trusted: string): string {
  if (ksHex !== deviceKeysetHex) {
    deviceKeyset = keysetFrom(ksHex, rootKid, rootPub);
    deviceKeysetHex = ksHex;
    deviceTables = false;
  }
  if (tables && !deviceTables) {
    ensureBaseTable();
    if (deviceKeyset !== undefined) for (let i = 0; i < deviceKeyset.keys.length; i++) ensureKeyTable(toHex(deviceKeyset.keys[i].publicKey));
    deviceTables = true;
  }
  const r = verifyPresentation(text, deviceKeyset, { now: Math.floor(Number(now)), trusted: trusted === "1" }, new ReplayCache(8), tables ? TABLES : undefined);
  return r.verdict;
}

/** A scan on a device that made the tables at boot. */
export function presentationOnDevice(text: string, ksHex: string, rootKid: string, rootPub: string, now: string, trusted: string): string {
  return deviceScan(true, text, ksHex, rootKid, rootPub, now, trusted);
}

/** A scan on a device without tables (the Lua image makes none): call it before any table exists. */
export function presentationScan(text: string, ksHex: string, rootKid: string, rootPub: string, now: string, trusted: string): string {
  return deviceScan(false, text, ksHex, rootKid, rootPub, now, trusted);
}
