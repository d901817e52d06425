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
    expect(tablesStep(flash, keyset, SECRET)).toBe(true); // base point
    expect(Object.keys(flash.files).sort()).toEqual(Array.from({ length: 16 }, (_, m) => tableFileName(undefined, m)).sort());
    expect(tablesStep(flash, keyset, SECRET)).toBe(true); // QR key
    expect(tablesStep(flash, keyset, SECRET)).toBe(true); // card key
    expect(tablesStep(flash, keyset, SECRET)).toBe(false); // the admin key needs none
    expect(Object.keys(flash.files)).toHaveLength(48);
    const base = readTable(flash, undefined, BASE_KEY, SECRET)!;
    const want = makeBaseTable();
    for (let m = 0; m < 16; m++) expect(Buffer.from(base[m].subarray(0, SUBTABLE_BYTES))).toEqual(Buffer.from(want[m]));
    const key = readTable(flash, qr.signer.kid, qr.publicKey, SECRET)!;
    const wantKey = makeKeyTable(qr.publicKey)!;
    expect(Buffer.from(key[7].subarray(0, SUBTABLE_BYTES))).toEqual(Buffer.from(wantKey[7]));
    expect(tableFileName(qr.signer.kid, 15)).toMatch(/^t[0-9a-f]{16}f$/);
    forget();
  });

  it("a subtable changed in flash (marker intact) is never trusted: its MAC fails and it is made again", () => {
    const flash = new SimFlash();
    forget();
    while (tablesStep(flash, keyset, SECRET));
    const { msg, sig } = signed(qr.signer.secretKey);
    expect(ed25519Verify(qr.publicKey, msg, sig)).toBe("OK");
    const name = tableFileName(qr.signer.kid, 0);
    const good = flash.files[name].slice();
    flash.files[name].fill(0, 0, SUBTABLE_BYTES);
    expect(readTable(flash, qr.signer.kid, qr.publicKey, SECRET)).toBeUndefined();
    flash.files[name] = good.slice();
    expect(readTable(flash, qr.signer.kid, qr.publicKey, new Uint8Array(32))).toBeUndefined(); // another device's secret
    flash.files[name].fill(0, 0, SUBTABLE_BYTES);
    expect(tablesStep(flash, keyset, SECRET)).toBe(true); // made again
    expect(Buffer.from(flash.files[name])).toEqual(Buffer.from(good));
    expect(ed25519Verify(qr.publicKey, msg, sig)).toBe("OK");
    forget();
  });

  it("a file made for another key, or without its marker, is made again", () => {
    const flash = new SimFlash();
    forget();
    while (tablesStep(flash, keyset, SECRET));
    const name = tableFileName(qr.signer.kid, 3);
    flash.files[name] = flash.files[name].slice(0, -1); // marker torn
    expect(readTable(flash, qr.signer.kid, qr.publicKey, SECRET)).toBeUndefined();
    expect(readTable(flash, undefined, qr.publicKey, SECRET)).toBeUndefined(); // base files carry the zero key
    expect(tablesStep(flash, keyset, SECRET)).toBe(true);
    expect(readTable(flash, qr.signer.kid, qr.publicKey, SECRET)).toBeDefined();
    forget();
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
      forget();
      tablesStep(flash, onlyQr, SECRET); // the base table, whole
      flash.cutAfter = cut;
      expect(() => tablesStep(flash, onlyQr, SECRET), `cut after ${cut}`).toThrow(PowerCut);
      flash.cutAfter = undefined;
      forget(); // reboot
      expect(tablesStep(flash, onlyQr, SECRET)).toBe(true); // the torn table is made again
      expect(tablesStep(flash, onlyQr, SECRET)).toBe(false);
      expect(readTable(flash, qr.signer.kid, qr.publicKey, SECRET), `cut after ${cut}`).toBeDefined();
      expect(ed25519Verify(qr.publicKey, msg, sig)).toBe("OK");
    }
    forget();
  });

  it("a device makes them in the background after a key set install, and still says OK", async () => {
    const world = makeWorld(T0);
    const d = new SimDevice({ roots: world.roots, buildTime: T0 - 86400, version: "t", lang: "en" });
    d.provision(world, T0);
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
    d.provision(world, T0);
    await new Promise((r) => setTimeout(r, 600)); // past the first table steps
    expect(Object.keys(flash.files).some((f) => f.startsWith("t"))).toBe(false);
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
  it("the forgery works only with the planted table registered: proof that the test attacks the right thing", () => {
    const attacker = ed.utils.randomSecretKey();
    const msg = new Uint8Array([1, 2, 3, 4]);
    const sig = forgeWithPlantedTable(qr.publicKey, attacker, msg);
    forget();
    useBaseTable(makeBaseTable());
    expect(ed25519Verify(qr.publicKey, msg, sig)).toBe("MISMATCH");
    useKeyTable(qr.publicKey, makeKeyTable(ed.getPublicKey(attacker)));
    expect(ed25519Verify(qr.publicKey, msg, sig)).toBe("OK"); // a table trusted on its marker alone is fatal
    forget();
  });

  it("a planted table for an issuer key is detected and never used", () => {
    const flash = new SimFlash();
    const attacker = ed.utils.randomSecretKey();
    forget();
    tablesStep(flash, keyset, SECRET); // the base table
    plant(flash, qr.signer.kid, qr.publicKey, ed.getPublicKey(attacker));
    expect(readTable(flash, qr.signer.kid, qr.publicKey, SECRET)).toBeUndefined();
    while (tablesStep(flash, keyset, SECRET)); // registers what passes, remakes the rest
    const msg = new Uint8Array([5, 6, 7]);
    expect(ed25519Verify(qr.publicKey, msg, forgeWithPlantedTable(qr.publicKey, attacker, msg))).toBe("MISMATCH");
    expect(Buffer.from(readTable(flash, qr.signer.kid, qr.publicKey, SECRET)![0].subarray(0, SUBTABLE_BYTES))).toEqual(Buffer.from(makeKeyTable(qr.publicKey)![0]));
    forget();
  });

  it("a planted table for a root never lets the attacker's key set install", () => {
    const world = makeWorld(T0, 1, "planted-root");
    const flash = new SimFlash();
    forget();
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
    forget();
  });
});
