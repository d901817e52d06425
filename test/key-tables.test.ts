// The Ed25519 tables in flash (firmware/app/key-tables.ts): made one per step,
// read from the flash files into the table set verification is handed,
// remade after a power cut at any point of their writing; made in the
// background by a device (firmware/app/table-maker.ts).
import { describe, expect, it } from "vitest";
import { readTable, tableFileName, tablesStep } from "../firmware/app/key-tables";
import { ed25519Verify } from "../firmware/core/ed25519";
import { makeBaseTable, makeKeyTable } from "../firmware/core/ed25519-table-make";
import { SUBTABLE_BYTES, type TableSet, tablesFor } from "../firmware/core/ed25519-table";
import { KeysetStore } from "../firmware/app/keyset-store";
import { TableMaker } from "../firmware/app/table-maker";
import { VirtualTimers } from "../firmware/targets/memory/hal";
import { PowerCut, SimFlash } from "../sim/flash";
import { SimDevice } from "../sim/device";
import { HOLDER, makeWorld } from "../sim/world";
import { issuePresentation } from "../host/issuer/issuer";
import { ed } from "../host/issuer/ed";
import { sha512 } from "@noble/hashes/sha2.js";
import { reduce64, scalarMulAdd, scalarMulBase } from "../firmware/core/ed25519";
import { encodePoint } from "../firmware/core/ed25519-curve";
import { decodeSign1, sigStructure } from "../firmware/core/cose";
import { cborEncode } from "../host/issuer/cose-sign";
import { T0, keysetOf, makeKey } from "./support/fixtures";

const root = makeKey(["root"]);
const qr = makeKey(["qr"]);
const card = makeKey(["card"]);
const admin = makeKey(["admin"]);
const keyset = keysetOf(root, [qr, card, admin]);
const BASE_KEY = new Uint8Array(32);
const SECRET = new Uint8Array(32).fill(7); // the device's table MAC key (DeviceIdentity.secret("tables") on a device)

/** A device's table set at boot: nothing read yet. */
const fresh = (): TableSet => ({ base: undefined, keys: [] });

/** Verification as a device does it: with the tables its set holds for this key. */
const verifyWith = (set: TableSet, pub: Uint8Array, msg: Uint8Array, sig: Uint8Array) => ed25519Verify(pub, msg, sig, tablesFor(set, pub));

function signed(secret: Uint8Array, msg = new Uint8Array([1, 2, 3])) {
  return { msg, sig: ed.sign(msg, secret) };
}

describe("tables in flash", () => {
  it("are made one per step (base point, then each QR and card key), then handed out", () => {
    const flash = new SimFlash();
    const set = fresh();
    expect(tablesStep(flash, keyset, SECRET, set)).toBe(true); // base point
    expect(Object.keys(flash.files).sort()).toEqual(Array.from({ length: 16 }, (_, m) => tableFileName(undefined, m)).sort());
    expect(set.base).toHaveLength(16);
    expect(set.keys).toEqual([]);
    expect(tablesStep(flash, keyset, SECRET, set)).toBe(true); // QR key
    expect(set.keys.map((k) => k.publicKey)).toEqual([qr.publicKey]);
    expect(tablesStep(flash, keyset, SECRET, set)).toBe(true); // card key
    expect(tablesStep(flash, keyset, SECRET, set)).toBe(false); // the admin key needs none
    expect(set.keys.map((k) => k.publicKey)).toEqual([qr.publicKey, card.publicKey]);
    expect(tablesFor(set, admin.publicKey)).toBeUndefined();
    expect(Object.keys(flash.files)).toHaveLength(48);
    const base = readTable(flash, undefined, BASE_KEY, SECRET)!;
    const want = makeBaseTable();
    for (let m = 0; m < 16; m++) expect(Buffer.from(base[m].subarray(0, SUBTABLE_BYTES))).toEqual(Buffer.from(want[m]));
    const key = readTable(flash, qr.signer.kid, qr.publicKey, SECRET)!;
    const wantKey = makeKeyTable(qr.publicKey)!;
    expect(Buffer.from(key[7].subarray(0, SUBTABLE_BYTES))).toEqual(Buffer.from(wantKey[7]));
    expect(tableFileName(qr.signer.kid, 15)).toMatch(/^t[0-9a-f]{16}f$/);
    // A key set without the card key: its table is no longer handed out.
    const set2 = fresh();
    expect(tablesStep(flash, keysetOf(root, [qr]), SECRET, set2)).toBe(false);
    expect(set2.keys.map((k) => k.publicKey)).toEqual([qr.publicKey]);
  });

  it("a subtable changed in flash (marker intact) is never trusted: its MAC fails and it is made again", () => {
    const flash = new SimFlash();
    const set = fresh();
    while (tablesStep(flash, keyset, SECRET, set));
    const { msg, sig } = signed(qr.signer.secretKey);
    expect(tablesFor(set, qr.publicKey)).toBeDefined();
    expect(verifyWith(set, qr.publicKey, msg, sig)).toBe("OK");
    const name = tableFileName(qr.signer.kid, 0);
    const good = flash.files[name].slice();
    flash.files[name].fill(0, 0, SUBTABLE_BYTES);
    expect(readTable(flash, qr.signer.kid, qr.publicKey, SECRET)).toBeUndefined();
    flash.files[name] = good.slice();
    expect(readTable(flash, qr.signer.kid, qr.publicKey, new Uint8Array(32))).toBeUndefined(); // another device's secret
    flash.files[name].fill(0, 0, SUBTABLE_BYTES);
    const rebooted = fresh();
    expect(tablesStep(flash, keyset, SECRET, rebooted, false)).toBe(false); // reading only: the changed table is not handed out
    expect(tablesFor(rebooted, qr.publicKey)).toBeUndefined();
    expect(tablesFor(rebooted, card.publicKey)).toBeDefined();
    expect(tablesStep(flash, keyset, SECRET, rebooted)).toBe(true); // made again
    expect(Buffer.from(flash.files[name])).toEqual(Buffer.from(good));
    expect(verifyWith(rebooted, qr.publicKey, msg, sig)).toBe("OK");
  });

  it("a file made for another key, or without its marker, is made again", () => {
    const flash = new SimFlash();
    const set = fresh();
    while (tablesStep(flash, keyset, SECRET, set));
    const name = tableFileName(qr.signer.kid, 3);
    flash.files[name] = flash.files[name].slice(0, -1); // marker torn
    expect(readTable(flash, qr.signer.kid, qr.publicKey, SECRET)).toBeUndefined();
    expect(readTable(flash, undefined, qr.publicKey, SECRET)).toBeUndefined(); // base files carry the zero key
    expect(tablesStep(flash, keyset, SECRET, set)).toBe(true);
    expect(readTable(flash, qr.signer.kid, qr.publicKey, SECRET)).toBeDefined();
  });

  it("a power cut anywhere in making a table leaves it unused, and the next step makes it whole", () => {
    const fileBytes = SUBTABLE_BYTES + 52;
    const cuts: number[] = [];
    for (let m = 0; m < 16; m++) for (const b of [0, 1, SUBTABLE_BYTES - 1, SUBTABLE_BYTES + 31, fileBytes - 1]) cuts.push(m * fileBytes + b);
    for (let b = 2; b < fileBytes; b += 41) cuts.push(5 * fileBytes + b);
    const { msg, sig } = signed(qr.signer.secretKey);
    const onlyQr = keysetOf(root, [qr]);
    for (const cut of cuts) {
      const flash = new SimFlash();
      tablesStep(flash, onlyQr, SECRET, fresh()); // the base table, whole
      flash.cutAfter = cut;
      expect(() => tablesStep(flash, onlyQr, SECRET, fresh()), `cut after ${cut}`).toThrow(PowerCut);
      flash.cutAfter = undefined;
      const set = fresh(); // reboot
      expect(tablesStep(flash, onlyQr, SECRET, set, false)).toBe(false);
      expect(tablesFor(set, qr.publicKey), `cut after ${cut}`).toBeUndefined(); // the torn table is never handed out
      expect(tablesStep(flash, onlyQr, SECRET, set)).toBe(true); // the torn table is made again
      expect(tablesStep(flash, onlyQr, SECRET, set)).toBe(false);
      expect(readTable(flash, qr.signer.kid, qr.publicKey, SECRET), `cut after ${cut}`).toBeDefined();
      expect(tablesFor(set, qr.publicKey)).toBeDefined();
      expect(verifyWith(set, qr.publicKey, msg, sig)).toBe("OK");
    }
  });

  it("a device makes them in the background after a key set install, and still says OK", async () => {
    const world = makeWorld(T0);
    const d = new SimDevice({ roots: world.roots, buildTime: T0 - 86400, version: "t", lang: "en" });
    d.provision(world, T0);
    for (let i = 0; i < 50 && Object.keys(d.flash.files).filter((f) => /^t[0-9a-f]{16}f$/.test(f)).length < 1; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(Object.keys(d.flash.files).filter((f) => /^t[0-9a-f]{16}[0-9a-f]$/.test(f)).length).toBeGreaterThanOrEqual(16);
    expect(d.app.tables.tables.base).toHaveLength(16);
    expect(tablesFor(d.app.tables.tables, ed.getPublicKey(world.qrSigner.secretKey))).toBeDefined(); // handed to its scans
    expect(d.scan(issuePresentation(world.qrSigner, HOLDER, { iat: T0 })).color).toBe("green");
  });

  it("a table file that cannot be read or erased stops only the tables, never verification (no storage fault)", async () => {
    for (const failing of ["read", "erase"] as const) {
      const world = makeWorld(T0);
      const flash = new SimFlash();
      const real = { read: flash.read.bind(flash), erase: flash.erase.bind(flash) };
      let tries = 0;
      flash[failing] = ((name: string) => {
        if (!name.startsWith("t")) return (real[failing] as (n: string) => undefined)(name);
        tries++;
        throw new Error(`flash ${failing} error`);
      }) as never;
      const d = new SimDevice({ roots: world.roots, buildTime: T0 - 86400, version: "t", lang: "en", flash });
      d.provision(world, T0);
      await new Promise((r) => setTimeout(r, 600)); // past the first table steps
      expect(tries, failing).toBeGreaterThan(0); // the maker did reach its files
      expect(d.app.tables.tables, failing).toEqual({ base: undefined, keys: [] });
      expect(d.scan(issuePresentation(world.qrSigner, HOLDER, { iat: T0 })).color, failing).toBe("green");
    }
  });
});

describe("the table maker (firmware/app/table-maker.ts)", () => {
  it("makes one table per 200 ms step after start, then stops; its set is what scans are handed", () => {
    const world = makeWorld(T0);
    const flash = new SimFlash();
    const timers = new VirtualTimers();
    const store = new KeysetStore(flash, world.roots);
    expect(store.install(world.keysetBytes).ok).toBe(true);
    const maker = new TableMaker(flash, timers, store, () => SECRET);
    const tableFiles = () => Object.keys(flash.files).filter((f) => /^t[0-9a-fB]+$/.test(f)).length;
    maker.start();
    maker.start(); // once: a second start while a round runs adds nothing
    timers.advance(199);
    expect(tableFiles()).toBe(0);
    timers.advance(1);
    expect(tableFiles()).toBe(16); // the base point's
    expect(maker.tables.base).toHaveLength(16);
    timers.advance(200);
    expect(tableFiles()).toBe(32); // the QR key's
    const qrPub = ed.getPublicKey(world.qrSigner.secretKey);
    expect(tablesFor(maker.tables, qrPub)).toBeDefined();
    timers.advance(200);
    expect(tableFiles()).toBe(48); // the card key's; the admin key gets none
    timers.advance(200); // a last step finds nothing to make
    timers.advance(10_000);
    expect(tableFiles()).toBe(48);
    expect(maker.tables.keys).toHaveLength(2);
    // After a reboot the tables are read again, nothing made.
    const again = new TableMaker(flash, timers, new KeysetStore(flash, world.roots), () => SECRET);
    expect(again.tables).toEqual({ base: undefined, keys: [] });
    again.start();
    timers.advance(200);
    expect(tablesFor(again.tables, qrPub)).toBeDefined();
    expect(tableFiles()).toBe(48);
  });
});

describe("tables when flash is full", () => {
  it("the device goes on verifying without them", async () => {
    const world = makeWorld(T0);
    const flash = new SimFlash();
    const write = flash.write.bind(flash);
    // Room for the key set and the log, none for tables.
    flash.write = (name, data, offset) => {
      if (name.startsWith("t")) throw new Error("Storage full");
      write(name, data, offset);
    };
    const d = new SimDevice({ roots: world.roots, buildTime: T0 - 86400, version: "t", lang: "en", flash });
    d.provision(world, T0);
    await new Promise((r) => setTimeout(r, 600)); // past the first table steps
    expect(Object.keys(flash.files).some((f) => f.startsWith("t"))).toBe(false);
    expect(d.app.tables.tables).toEqual({ base: undefined, keys: [] });
    expect(d.scan(issuePresentation(world.qrSigner, HOLDER, { iat: T0 })).color).toBe("green");
  });
});

/** A signature that verifies only where A's table is really the attacker's: S = r + k a' with k = H(R || A || M). */
function forgeWithPlantedTable(victimPub: Uint8Array, attackerSeed: Uint8Array, msg: Uint8Array): Uint8Array {
  const a = sha512(attackerSeed).slice(0, 32);
  a[0] &= 248;
  a[31] &= 127;
  a[31] |= 64;
  const r = reduce64(sha512(new Uint8Array([9, ...msg])));
  const R = encodePoint(scalarMulBase(r));
  const k = reduce64(sha512(new Uint8Array([...R, ...victimPub, ...msg])));
  return new Uint8Array([...R, ...scalarMulAdd(k, a, r)]);
}

/** What an attacker at an open console did: the attacker key's table under the victim key's name, marker and key bytes. */
function plant(flash: SimFlash, victimKid: Uint8Array, victimPub: Uint8Array, attackerPub: Uint8Array): void {
  const t = makeKeyTable(attackerPub)!;
  for (let m = 0; m < 16; m++) {
    const f = new Uint8Array(SUBTABLE_BYTES + 52);
    f.set(t[m], 0);
    f.set(victimPub, SUBTABLE_BYTES);
    f.set([0x50, 0x44, 0x54, 0x32], SUBTABLE_BYTES + 48);
    flash.files[tableFileName(victimKid, m)] = f;
  }
}

describe("planted tables (the attack through an open Espruino console)", () => {
  it("the forgery works only with the planted table handed in: proof that the test attacks the right thing", () => {
    const attacker = ed.utils.randomSecretKey();
    const msg = new Uint8Array([1, 2, 3, 4]);
    const sig = forgeWithPlantedTable(qr.publicKey, attacker, msg);
    expect(ed25519Verify(qr.publicKey, msg, sig)).toBe("MISMATCH");
    expect(ed25519Verify(qr.publicKey, msg, sig, { base: makeBaseTable(), key: makeKeyTable(qr.publicKey)! })).toBe("MISMATCH");
    expect(ed25519Verify(qr.publicKey, msg, sig, { base: makeBaseTable(), key: makeKeyTable(ed.getPublicKey(attacker))! })).toBe("OK"); // a table trusted on its marker alone is fatal
  });

  it("a planted table for an issuer key is detected and never used", () => {
    const flash = new SimFlash();
    const attacker = ed.utils.randomSecretKey();
    const set = fresh();
    tablesStep(flash, keyset, SECRET, set); // the base table
    plant(flash, qr.signer.kid, qr.publicKey, ed.getPublicKey(attacker));
    expect(readTable(flash, qr.signer.kid, qr.publicKey, SECRET)).toBeUndefined();
    tablesStep(flash, keyset, SECRET, set, false);
    expect(tablesFor(set, qr.publicKey)).toBeUndefined(); // never handed out
    while (tablesStep(flash, keyset, SECRET, set)); // hands out what passes, remakes the rest
    const msg = new Uint8Array([5, 6, 7]);
    expect(tablesFor(set, qr.publicKey)).toBeDefined();
    expect(verifyWith(set, qr.publicKey, msg, forgeWithPlantedTable(qr.publicKey, attacker, msg))).toBe("MISMATCH");
    expect(Buffer.from(readTable(flash, qr.signer.kid, qr.publicKey, SECRET)![0].subarray(0, SUBTABLE_BYTES))).toEqual(Buffer.from(makeKeyTable(qr.publicKey)![0]));
  });

  it("a planted table for a root never lets the attacker's key set install", () => {
    const world = makeWorld(T0, 1, "planted-root");
    const flash = new SimFlash();
    const attacker = ed.utils.randomSecretKey();
    plant(flash, world.roots[0].kid, world.roots[0].publicKey, ed.getPublicKey(attacker));
    const d = new SimDevice({ roots: world.roots, buildTime: T0 - 86400, version: "t", lang: "en", flash });
    // The attacker's key set: the root's kid, signed so that it verifies against the planted table.
    const genuine = decodeSign1(world.keysetBytes);
    if (!genuine.ok) throw new Error("fixture");
    const { payload, protectedBytes } = genuine.sign1;
    const forged = cborEncode([protectedBytes, new Map(), payload, forgeWithPlantedTable(world.roots[0].publicKey, attacker, sigStructure(protectedBytes, payload))]);
    expect(d.admin("KEYSET " + Buffer.from(forged).toString("hex"))).toBe("ERR BAD_SIGNATURE: root signature does not verify");
    expect(d.admin("STATUS")).toMatch(/^OK - /);
  });
});
