// The Ed25519 tables in flash (firmware/app/key-tables.ts): made one per step,
// registered from the flash files, used by verification, remade after a power
// cut at any point of their writing.
import { describe, expect, it } from "vitest";
import { readTable, tableFileName, tablesStep } from "../firmware/app/key-tables";
import { ed25519Verify, makeBaseTable, makeKeyTable, useBaseTable, useKeyTable } from "../firmware/core/ed25519";
import { SUBTABLE_BYTES } from "../firmware/core/ed25519-table";
import { PowerCut, SimFlash } from "../sim/flash";
import { SimDevice } from "../sim/device";
import { HOLDER, makeWorld } from "../sim/world";
import { issuePresentation } from "../host/src/issuer";
import { ed } from "../host/src/ed";
import { T0, keysetOf, makeKey } from "./support/fixtures";

const root = makeKey(["root"]);
const qr = makeKey(["qr"]);
const card = makeKey(["card"]);
const admin = makeKey(["admin"]);
const keyset = keysetOf(root, [qr, card, admin]);
const BASE_KEY = new Uint8Array(32);

function forget(): void {
  useBaseTable(undefined);
  for (const k of [qr, card, admin]) useKeyTable(k.publicKey, undefined);
}

function signed(secret: Uint8Array, msg = new Uint8Array([1, 2, 3])) {
  return { msg, sig: ed.sign(msg, secret) };
}

describe("tables in flash", () => {
  it("are made one per step (base point, then each QR and card key), then registered", () => {
    const flash = new SimFlash();
    forget();
    expect(tablesStep(flash, keyset)).toBe(true); // base point
    expect(Object.keys(flash.files).sort()).toEqual(Array.from({ length: 16 }, (_, m) => tableFileName(undefined, m)).sort());
    expect(tablesStep(flash, keyset)).toBe(true); // QR key
    expect(tablesStep(flash, keyset)).toBe(true); // card key
    expect(tablesStep(flash, keyset)).toBe(false); // the admin key needs none
    expect(Object.keys(flash.files)).toHaveLength(48);
    const base = readTable(flash, undefined, BASE_KEY)!;
    const want = makeBaseTable();
    for (let m = 0; m < 16; m++) expect(Buffer.from(base[m].subarray(0, SUBTABLE_BYTES))).toEqual(Buffer.from(want[m]));
    const key = readTable(flash, qr.signer.kid, qr.publicKey)!;
    const wantKey = makeKeyTable(qr.publicKey)!;
    expect(Buffer.from(key[7].subarray(0, SUBTABLE_BYTES))).toEqual(Buffer.from(wantKey[7]));
    expect(tableFileName(qr.signer.kid, 15)).toMatch(/^t[0-9a-f]{16}f$/);
    forget();
  });

  it("verification uses them: a corrupted subtable (marker intact) refuses a good signature", () => {
    const flash = new SimFlash();
    forget();
    while (tablesStep(flash, keyset));
    const { msg, sig } = signed(qr.signer.secretKey);
    expect(ed25519Verify(qr.publicKey, msg, sig)).toBe("OK");
    const name = tableFileName(qr.signer.kid, 0);
    const good = flash.files[name].slice();
    flash.files[name].fill(0, 0, SUBTABLE_BYTES);
    tablesStep(flash, keyset); // registers what flash holds
    expect(ed25519Verify(qr.publicKey, msg, sig)).toBe("MISMATCH");
    flash.files[name] = good;
    tablesStep(flash, keyset);
    expect(ed25519Verify(qr.publicKey, msg, sig)).toBe("OK");
    forget();
  });

  it("a file made for another key, or without its marker, is made again", () => {
    const flash = new SimFlash();
    forget();
    while (tablesStep(flash, keyset));
    const name = tableFileName(qr.signer.kid, 3);
    flash.files[name] = flash.files[name].slice(0, -1); // marker torn
    expect(readTable(flash, qr.signer.kid, qr.publicKey)).toBeUndefined();
    expect(readTable(flash, undefined, qr.publicKey)).toBeUndefined(); // base files carry the zero key
    expect(tablesStep(flash, keyset)).toBe(true);
    expect(readTable(flash, qr.signer.kid, qr.publicKey)).toBeDefined();
    forget();
  });

  it("a power cut anywhere in making a table leaves it unused, and the next step makes it whole", () => {
    const fileBytes = SUBTABLE_BYTES + 36;
    const cuts: number[] = [];
    for (let m = 0; m < 16; m++) for (const b of [0, 1, SUBTABLE_BYTES - 1, SUBTABLE_BYTES + 31, fileBytes - 1]) cuts.push(m * fileBytes + b);
    for (let b = 2; b < fileBytes; b += 41) cuts.push(5 * fileBytes + b);
    const { msg, sig } = signed(qr.signer.secretKey);
    const onlyQr = keysetOf(root, [qr]);
    for (const cut of cuts) {
      const flash = new SimFlash();
      forget();
      tablesStep(flash, onlyQr); // the base table, whole
      flash.cutAfter = cut;
      expect(() => tablesStep(flash, onlyQr), `cut after ${cut}`).toThrow(PowerCut);
      flash.cutAfter = undefined;
      forget(); // reboot
      expect(tablesStep(flash, onlyQr)).toBe(true); // the torn table is made again
      expect(tablesStep(flash, onlyQr)).toBe(false);
      expect(readTable(flash, qr.signer.kid, qr.publicKey), `cut after ${cut}`).toBeDefined();
      expect(ed25519Verify(qr.publicKey, msg, sig)).toBe("OK");
    }
    forget();
  });

  it("a device makes them in the background after a key set install, and still says OK", async () => {
    const world = makeWorld(T0);
    const d = new SimDevice({ roots: world.roots, buildTime: T0 - 86400, version: "t", lang: "en" });
    d.admin(`TIME ${T0}`);
    expect(d.admin("KEYSET " + Buffer.from(world.keysetBytes).toString("hex"))).toEqual(["OK INSTALLED 1"]);
    for (let i = 0; i < 50 && Object.keys(d.flash.files).filter((f) => /^t[0-9a-f]{16}f$/.test(f)).length < 1; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(Object.keys(d.flash.files).filter((f) => /^t[0-9a-f]{16}[0-9a-f]$/.test(f)).length).toBeGreaterThanOrEqual(16);
    expect(d.scan(issuePresentation(world.qrSigner, HOLDER, { iat: T0 })).color).toBe("green");
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
    forget();
    const d = new SimDevice({ roots: world.roots, buildTime: T0 - 86400, version: "t", lang: "en", flash });
    d.admin(`TIME ${T0}`);
    expect(d.admin("KEYSET " + Buffer.from(world.keysetBytes).toString("hex"))).toEqual(["OK INSTALLED 1"]);
    await new Promise((r) => setTimeout(r, 600)); // past the first table steps
    expect(Object.keys(flash.files).some((f) => f.startsWith("t"))).toBe(false);
    expect(d.scan(issuePresentation(world.qrSigner, HOLDER, { iat: T0 })).color).toBe("green");
  });
});

describe("the roots' tables", () => {
  it("are made too, and registered at boot before the key set is checked", async () => {
    const world = makeWorld(T0, 1, "root-tables");
    const flash = new SimFlash();
    forget();
    const opts = { roots: world.roots, buildTime: T0 - 86400, version: "t", lang: "en" as const, flash };
    const d = new SimDevice(opts);
    d.admin(`TIME ${T0}`);
    expect(d.admin("KEYSET " + Buffer.from(world.keysetBytes).toString("hex"))).toEqual(["OK INSTALLED 1"]);
    const rootFile = tableFileName(world.roots[0].kid, 0);
    for (let i = 0; i < 50 && !flash.files[rootFile]; i++) await new Promise((r) => setTimeout(r, 100));
    expect(readTable(flash, world.roots[0].kid, world.roots[0].publicKey)).toBeDefined();
    // A reboot checks the key set with the root's table from flash: spoil that table and the check fails.
    useKeyTable(world.roots[0].publicKey, undefined);
    const good = flash.files[rootFile].slice();
    flash.files[rootFile].fill(0, 0, SUBTABLE_BYTES);
    expect(d.reboot(opts).admin("STATUS")[0]).toMatch(/^OK - /); // no key set
    flash.files[rootFile] = good;
    useKeyTable(world.roots[0].publicKey, undefined);
    expect(d.reboot(opts).admin("STATUS")[0]).toMatch(/^OK 1 /);
    useKeyTable(world.roots[0].publicKey, undefined);
  });
});
