// Issue 21, round 2 of the trusted device: the admin protocol's findings 2, 3,
// 9, 11, 12, 14, 15, 16 and 17, each tried again the way an outsider would:
// lines typed on the simulator's admin line over a real pty (socat), a relay
// between the agency's tool and the device on ptys, the real `pindai` CLI.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { ed } from "../host/issuer/ed";
import { keysetPayload, sign1 } from "../host/issuer/cose-sign";
import { DeviceClient, signedCommand, type AdminKey } from "../host/issuer/device-client";
import { issuePresentation } from "../host/issuer/issuer";
import { hex, kidOf, newKey, writeKeyFile, type Usage } from "../host/issuer/keyfile";
import { openPtyPair } from "../sim/pty";
import { SimDevice } from "../sim/device";
import { HOLDER, makeWorld, type World } from "../sim/world";
import { nodeSerial } from "../firmware/targets/node/serial";
import { serveAdminLine } from "../firmware/app/admin-line";
import { VerifierApp } from "../firmware/app/verifier";
import { AdminService } from "../firmware/app/admin";
import { ManualRtc, MemoryStorage, SeededRandom, Transcript, VirtualTimers } from "../firmware/targets/memory/hal";
import { SIGNATURE_BUDGET, SIGNATURE_WINDOW_MS } from "../firmware/app/admin-protocol";
import { KEYSET_POLICY } from "../firmware/core/policy";
import { T0 } from "./support/fixtures";
import { runCli } from "./support/cli";
import { haveTool } from "./support/tools";

const HAVE = haveTool("socat");
const BUILD = T0 - 86400 * 30;
const DAY = 86400;
const dir = mkdtempSync(join(tmpdir(), "pindai-attacks-"));
const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const closers: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

const pubOf = (k: AdminKey) => ed.getPublicKey(k.secretKey);
interface ExtraKey {
  key: AdminKey;
  usage: number;
  nbf: number;
  exp: number;
}

/** A key set signed by the world's root: its qr and admin keys, and any extra admin keys. */
function keysetOf(world: World, o: { version: number; issued: number; nextUpdate?: number; extra?: ExtraKey[] }): Uint8Array {
  const entry = (k: AdminKey, usage: number, nbf = T0 - 365 * DAY, exp = T0 + 365 * DAY) => ({ kid: k.kid, publicKey: pubOf(k), nbf, exp, usage });
  const keys = [entry(world.qrSigner, 1), entry(world.adminKey, 4), ...(o.extra ?? []).map((x) => entry(x.key, x.usage, x.nbf, x.exp))];
  return sign1(world.rootKey.secretKey, world.rootKey.kid, keysetPayload({ version: o.version, issued: o.issued, nextUpdate: o.nextUpdate ?? o.issued + 30 * DAY, keys, revoked: [], policy: { ...KEYSET_POLICY, replay: 2 } }));
}

function newAdminKey(): AdminKey {
  const secretKey = ed.utils.randomSecretKey();
  return { secretKey, kid: kidOf(ed.getPublicKey(secretKey)) };
}

/** A device provisioned at T0 (its key set, then a root's TIME: the clock is not trusted before). */
function provisioned(o: { world?: World; keyset?: Uint8Array } = {}) {
  const world = o.world ?? makeWorld(T0, 2);
  const config = { roots: world.roots, buildTime: BUILD, version: "t", lang: "en" as const, clearAfterMs: 60_000 };
  const d = new SimDevice(config);
  expect(d.admin("KEYSET " + hex(o.keyset ?? world.keysetBytes))).toMatch(/^OK INSTALLED/);
  expect(d.signed(world.rootKey, "TIME", T0)).toMatch(/^OK TIME/);
  const code = (iat = d.rtc.seconds(), ttl?: number) => issuePresentation(world.qrSigner, HOLDER, { iat, ttl });
  return { d, world, config, code };
}

/** A line served on a real pty pair: `answer` gets each line from the far end (a device, or a relay in front of one). */
async function serve(answer: (line: string) => string): Promise<string> {
  const link = await openPtyPair();
  const port = new SerialPort({ path: link.a, baudRate: 115200 });
  await new Promise((r) => port.once("open", r));
  serveAdminLine(nodeSerial(port), answer);
  closers.push(async () => {
    await new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r()));
    link.close();
  });
  return link.b;
}

/** The far end of a pty, as anyone at the port would type on it: one line, its reply. */
async function typist(path: string): Promise<(line: string) => Promise<string>> {
  const port = new SerialPort({ path, baudRate: 115200 });
  await new Promise((r) => port.once("open", r));
  closers.push(() => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r())));
  let got = "";
  let wake: () => void = () => {};
  port.on("data", (b: Buffer) => {
    got += b.toString("latin1");
    wake();
  });
  return async (line: string) => {
    got = "";
    port.write(line + "\n");
    const deadline = Date.now() + 10_000;
    for (;;) {
      const m = /^(OK|ERR)[^\r\n]*\r?\n/m.exec(got);
      if (m) return m[0].trim();
      if (Date.now() > deadline) return "(no answer)";
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 50);
      });
    }
  };
}

/** ID and NONCE typed on the line, then a signed command for that device and nonce. */
async function signedOn(type: (l: string) => Promise<string>, key: AdminKey, name: string, arg?: number): Promise<string> {
  const id = unhex((await type("ID")).split(" ")[1]);
  const nonce = unhex((await type("NONCE")).slice(3));
  return type(signedCommand(key, id, nonce, name, arg));
}

function keyFile(name: string, k: AdminKey, usage: Usage[]): string {
  const path = join(dir, name);
  writeKeyFile(path, { ...newKey(usage, 0, 2 ** 32 - 1, new Uint8Array(k.secretKey)), kid: hex(k.kid) });
  return path;
}

const floorOf = (status: string) => Number(status.split(" ")[5]);

describe.skipIf(!HAVE)("issue 21: the admin protocol's findings, tried again over real ptys", () => {
  it("finding 2: a key set issued in the future of a trusted clock is refused at install; the clock stays trusted", async () => {
    const { d, world, code } = provisioned();
    const type = await typist(await serve((l) => d.admin(l)));
    const future = keysetOf(world, { version: 2, issued: T0 + 30 * DAY });
    expect(await type("KEYSET " + hex(future))).toMatch(/^ERR ISSUED_IN_FUTURE/);
    expect(await type("STATUS")).toMatch(/^OK 1 1 - /); // still version 1, clock trusted
    expect(d.scan(code()).color).toBe("green");
    // A set issued within the skew of now installs and lifts the floor no higher than now.
    expect(await type("KEYSET " + hex(keysetOf(world, { version: 2, issued: T0 + 20 })))).toBe("OK INSTALLED 2");
    const st = await type("STATUS");
    expect(st).toMatch(/^OK 2 1 - /);
    expect(floorOf(st)).toBeLessThanOrEqual(d.rtc.seconds());
  });

  it("finding 2: a future key set installed while the clock was not trusted: a root's TIME recovers the clock, a root's WIPE works", async () => {
    const { d, world, code } = provisioned();
    const type = await typist(await serve((l) => d.admin(l)));
    d.rtc.powerLoss(); // the RTC lost power: nothing can judge the set's date now
    expect(await type("KEYSET " + hex(keysetOf(world, { version: 2, issued: T0 + 300 * DAY })))).toBe("OK INSTALLED 2");
    expect(floorOf(await type("STATUS"))).toBeLessThan(T0 + DAY); // the set's date did not become the floor
    expect(await signedOn(type, world.rootKey, "TIME", T0 + 60)).toMatch(/^OK TIME 1800000060 [0-9a-f]+$/);
    expect(await type("STATUS")).toMatch(/^OK 2 1 - /);
    expect(d.scan(code()).color).toBe("green");
    expect(await signedOn(type, world.rootKey, "WIPE")).toMatch(/^OK WIPE [0-9a-f]+$/);
    expect(await type("STATUS")).toMatch(/^OK - 1 /); // unprovisioned, the clock still trusted
  });

  it("finding 2: a floor set too high (a clock set a year fast, then used) is undone by a root's TIME, across a reboot", async () => {
    const { d, world, config, code } = provisioned();
    const type = await typist(await serve((l) => d.admin(l)));
    expect(await signedOn(type, world.adminKey, "TIME", T0 + 365 * DAY)).toMatch(/^OK TIME/); // a typo in the year
    d.scan(code()); // logged at that time: the floor follows it
    expect(floorOf(await type("STATUS"))).toBe(T0 + 365 * DAY);
    expect(await signedOn(type, world.adminKey, "TIME", T0 + 60)).toMatch(/^ERR BELOW_FLOOR/);
    expect(await signedOn(type, world.rootKey, "TIME", T0 + 60)).toMatch(/^OK TIME 1800000060 /);
    expect(await type("STATUS")).toMatch(/^OK 1 1 - /);
    const again = d.reboot(config);
    again.clear();
    expect(again.screen.warnings).toEqual([]);
    expect(again.admin("STATUS")).toMatch(/^OK 1 1 - /);
    expect(again.scan(code()).color).toBe("green");
  });

  it("finding 2: pindai keyset refuses to sign a set issued in the future without --allow-future", async () => {
    const now = Math.floor(Date.now() / 1000);
    const root = join(dir, "root2.json");
    const qr = join(dir, "qr2.json");
    writeKeyFile(root, newKey(["root"], now - DAY, now + 365 * DAY));
    writeKeyFile(qr, newKey(["qr"], now - DAY, now + 365 * DAY));
    const args = ["keyset", "--root", root, "--version", "2", "--key", qr, "--issued", String(now + 7 * DAY), "--out", join(dir, "future.cbor")];
    const refused = await runCli(...args);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/in the future.*--allow-future/);
    const forced = await runCli(...args, "--allow-future");
    expect(forced.code, forced.err).toBe(0);
    expect(forced.err).toMatch(/warning/);
    expect((await runCli("keyset", "--root", root, "--version", "2", "--key", qr, "--out", join(dir, "now.cbor"))).code).toBe(0);
  });

  it("finding 3: signed codes that are not OK (a future iat, NOT_YET_VALID, VALIDITY_TOO_LONG) do not move the floor", async () => {
    const { d, code } = provisioned();
    const type = await typist(await serve((l) => d.admin(l)));
    const before = floorOf(await type("STATUS"));
    d.scan(code(T0 + 30 * DAY)); // a fast issuer clock, or a leaked QR key
    expect(d.app.lastOutcome?.verdict).toBe("NOT_YET_VALID");
    d.scan(code(T0 + 60 * DAY, 3600));
    expect(d.app.lastOutcome?.verdict).toBe("VALIDITY_TOO_LONG");
    d.scan(code(d.rtc.seconds() + 25)); // within the skew: OK, and the floor stays at or below now
    expect(d.app.lastOutcome?.verdict).toBe("OK");
    const st = await type("STATUS");
    expect(st).toMatch(/^OK 1 1 - /);
    expect(floorOf(st)).toBeGreaterThanOrEqual(before);
    expect(floorOf(st)).toBeLessThanOrEqual(d.rtc.seconds());
    expect(d.scan(code()).color).toBe("green");
  });

  it("finding 9: a relay that answers OK INSTALLED 2 (or OK TIME) without passing the request on makes pindai device and pindai fleet fail", async () => {
    const { d, world } = provisioned();
    const v2 = join(dir, "v2.cbor");
    writeFileSync(v2, keysetOf(world, { version: 2, issued: T0 }));
    const relay = await serve((l) => (l.startsWith("KEYSET ") ? "OK INSTALLED 2" : l.startsWith("ADMIN ") ? "OK TIME 1800000000" : d.admin(l)));
    const k = await runCli("device", "keyset", "--port", relay, "--keyset", v2);
    expect(k.code).toBe(1);
    expect(k.err).toMatch(/BAD_ANSWER|not signed/);
    const root = keyFile("root9.json", world.rootKey, ["root"]);
    const t = await runCli("device", "time", "--port", relay, "--admin-key", root, "--at", String(T0 + 5));
    expect(t.code).toBe(1);
    const inv = join(dir, "fleet9-db");
    expect((await runCli("fleet", "enroll", "--ports", relay, "--db", inv)).code).toBe(0);
    const push = await runCli("fleet", "push-keyset", "--ports", relay, "--db", inv, "--keyset", v2);
    expect(push.code).toBe(1);
    expect(d.admin("STATUS")).toMatch(/^OK 1 /); // the device still holds v1, as its signed STATUS says
    // The device itself, with no relay: installed, and confirmed by its signed answer.
    const direct = await serve((l) => d.admin(l));
    const ok = await runCli("device", "keyset", "--port", direct, "--keyset", v2);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/INSTALLED 2/);
    expect(d.admin("STATUS")).toMatch(/^OK 2 /);
  });

  it("finding 11: an expired or not yet valid admin key does nothing after an RTC power loss; an untrusted clock takes only a root's TIME", async () => {
    const world = makeWorld(T0, 2);
    const retired = newAdminKey(); // expires ten days after T0
    const early = newAdminKey(); // valid from a hundred days after T0
    const keyset = keysetOf(world, { version: 1, issued: T0 - 3600, extra: [{ key: retired, usage: 4, nbf: T0 - DAY, exp: T0 + 10 * DAY }, { key: early, usage: 4, nbf: T0 + 100 * DAY, exp: T0 + 200 * DAY }] });
    const { d } = provisioned({ world, keyset });
    const type = await typist(await serve((l) => d.admin(l)));
    expect(await signedOn(type, early, "TIME", T0 + 10)).toMatch(/^ERR KEY_NOT_VALID/); // trusted clock: nbf holds
    d.rtc.powerLoss(); // twenty days later the RTC's battery fails: the floor is still T0
    expect(await signedOn(type, retired, "TIME", T0 + 5)).toMatch(/^ERR CLOCK_NOT_TRUSTED/);
    expect(await signedOn(type, early, "TIME", T0 + 20 * DAY)).toMatch(/^ERR CLOCK_NOT_TRUSTED/);
    expect(await signedOn(type, retired, "LOG", 0)).toMatch(/^ERR CLOCK_NOT_TRUSTED/);
    expect(await signedOn(type, world.adminKey, "TIME", T0 + 20 * DAY)).toMatch(/^ERR CLOCK_NOT_TRUSTED/); // only a root sets an untrusted clock
    expect(await type("STATUS")).toMatch(/^OK 1 0 /);
    expect(await signedOn(type, world.rootKey, "TIME", T0 + 20 * DAY)).toMatch(/^OK TIME/);
    expect(await signedOn(type, retired, "TIME", T0 + 20 * DAY + 5)).toMatch(/^ERR KEY_NOT_VALID/);
    expect(await signedOn(type, world.adminKey, "TIME", T0 + 20 * DAY + 5)).toMatch(/^OK TIME/);
  });

  it("finding 12: signature operations for unsigned requests are rate limited: ERR BUSY over the budget (on the line)", async () => {
    const { d, world } = provisioned();
    const type = await typist(await serve((l) => d.admin(l)));
    const replies: string[] = [];
    for (let i = 0; i < SIGNATURE_BUDGET + 2; i++) replies.push(await type("STATUS " + "ab".repeat(16)));
    expect(replies.slice(0, SIGNATURE_BUDGET).every((r) => /^OK [0-9a-f]+$/.test(r))).toBe(true);
    expect(replies[SIGNATURE_BUDGET]).toMatch(/^ERR BUSY /);
    expect(await type("KEYSET " + hex(world.keysetBytes))).toMatch(/^ERR BUSY /);
    expect(await signedOn(type, newAdminKey(), "TIME", T0)).toMatch(/^ERR (BUSY|UNKNOWN_KEY) /); // UNKNOWN_KEY costs nothing
    expect(await type("STATUS")).toMatch(/^OK 1 1 /); // the words cost nothing
  });

  it("finding 12: the budget is per time window, and signed requests that verify are not charged (virtual time)", () => {
    const world = makeWorld(T0, 2);
    const timers = new VirtualTimers();
    const rtc = new ManualRtc();
    const out = new Transcript();
    const app = new VerifierApp({ display: out, indicator: out, storage: new MemoryStorage(), rtc, timers, random: new SeededRandom(9) }, { roots: world.roots, buildTime: BUILD, version: "v", tables: false });
    const svc = new AdminService(app);
    const signed = (k: AdminKey, name: string, arg?: number) => svc.handle(signedCommand(k, app.identity.id, unhex(svc.handle("NONCE").slice(3)), name, arg));
    expect(svc.handle("KEYSET " + hex(world.keysetBytes))).toBe("OK INSTALLED 1"); // a new set: not charged
    for (let i = 0; i < 20; i++) expect(signed(world.rootKey, "TIME", T0 + i)).toMatch(/^OK TIME/); // verified: not charged
    const bad = newAdminKey();
    const forged = (name: string) => svc.handle(signedCommand({ secretKey: bad.secretKey, kid: world.adminKey.kid }, app.identity.id, unhex(svc.handle("NONCE").slice(3)), name, 1));
    for (let i = 0; i < SIGNATURE_BUDGET; i++) expect(forged("TIME")).toMatch(/^ERR BAD_SIGNATURE/);
    expect(forged("TIME")).toMatch(/^ERR BUSY try again in \d+ s/);
    expect(svc.handle("STATUS 0001020304050607")).toMatch(/^ERR BUSY/);
    expect(svc.handle("KEYSET " + hex(world.keysetBytes))).toMatch(/^ERR BUSY/);
    timers.advance(SIGNATURE_WINDOW_MS - 1);
    expect(svc.handle("STATUS 0001020304050607")).toMatch(/^ERR BUSY/);
    timers.advance(1);
    expect(svc.handle("STATUS 0001020304050607")).toMatch(/^OK [0-9a-f]+$/);
    expect(signed(world.rootKey, "TIME", T0 + 100)).toMatch(/^OK TIME/);
  });

  it("finding 14: after WIPE, another key set with the installed version and other bytes is refused", async () => {
    const { d, world } = provisioned();
    const type = await typist(await serve((l) => d.admin(l)));
    const other = keysetOf(world, { version: 1, issued: T0 - 60 });
    expect(await type("KEYSET " + hex(other))).toMatch(/^ERR OLDER/);
    expect(await signedOn(type, world.rootKey, "WIPE")).toMatch(/^OK WIPE/);
    expect(await type("KEYSET " + hex(other))).toMatch(/^ERR OLDER: version 1 was installed on this device with other bytes/);
    expect(await type("KEYSET " + hex(world.keysetBytes))).toBe("OK INSTALLED 1"); // the same set comes back
  });

  it("finding 16: WIPE renews the audit key: the same holder before and after a reassignment is not linkable", async () => {
    const { d, world, config, code } = provisioned();
    const type = await typist(await serve((l) => d.admin(l)));
    d.scan(code());
    const nik = () => d.app.audit.entries().filter((e) => e.source === 0).map((e) => e.nikHash);
    const before = nik()[0];
    expect(before).toMatch(/^[0-9a-f]{16}$/);
    expect(before).not.toBe("0000000000000000");
    expect(await signedOn(type, world.rootKey, "WIPE")).toMatch(/^OK WIPE/);
    expect(await type("KEYSET " + hex(world.keysetBytes))).toBe("OK INSTALLED 1");
    d.rtc.set(T0 + 600);
    d.scan(code());
    expect(nik()).toHaveLength(1);
    expect(nik()[0]).not.toBe(before);
    d.scan(code());
    const kept = d.reboot(config);
    expect(kept.app.audit.nikHash(HOLDER.nik)).toBe(nik()[0]); // the new key is kept across reboots
  });

  it("finding 17: pindai device shows the id it signs for and refuses another with --expect-id (a relay to another device)", async () => {
    const world = makeWorld(T0, 2);
    const a = provisioned({ world }).d;
    const b = provisioned({ world }).d;
    const idA = a.admin("ID").split(" ")[1];
    const idB = b.admin("ID").split(" ")[1];
    const relay = await serve((l) => b.admin(l)); // the technician thinks this is A
    const root = keyFile("root17.json", world.rootKey, ["root"]);
    const r = await runCli("device", "wipe", "--yes", "--port", relay, "--admin-key", root, "--expect-id", idA);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`the device on this port is ${idB}, not ${idA}`);
    expect(b.admin("STATUS")).toMatch(/^OK 1 /); // B not wiped
    const s = await runCli("device", "lang", "id", "--port", relay, "--admin-key", root);
    expect(s.code, s.err).toBe(0);
    expect(s.err).toContain(`signing CONFIG for device ${idB}`);
    expect(a.app.identity.id).toEqual(unhex(idA)); // the app holds its id for the idle screen
  });

  it("finding 15: keygen and keyset refuse a key with both QR and admin usage unless --force, with a warning", async () => {
    const combo = join(dir, "combo.json");
    const g = await runCli("keygen", "--usage", "qr,admin", "--out", combo);
    expect(g.code).toBe(2);
    expect(g.err).toMatch(/both qr and admin/);
    const f = await runCli("keygen", "--usage", "qr,admin", "--out", combo, "--force");
    expect(f.code, f.err).toBe(0);
    expect(f.err).toMatch(/warning/);
    const root = join(dir, "root15.json");
    writeKeyFile(root, newKey(["root"], 0, 2 ** 32 - 1));
    const k = await runCli("keyset", "--root", root, "--version", "1", "--key", combo, "--out", join(dir, "combo.cbor"));
    expect(k.code).toBe(2);
    expect(k.err).toMatch(/both qr and admin/);
    const kf = await runCli("keyset", "--root", root, "--version", "1", "--key", combo, "--out", join(dir, "combo.cbor"), "--force");
    expect(kf.code, kf.err).toBe(0);
    expect(kf.err).toMatch(/warning/);
  });

  it("the changing answers are signed by the device over the request's nonce, and the client checks them", async () => {
    const { d, world } = provisioned();
    const type = await typist(await serve((l) => d.admin(l)));
    const client = new DeviceClient({ request: type, close: async () => {} }, world.rootKey);
    expect(await client.setTime(T0 + 30)).toBe(`TIME ${T0 + 30}`);
    expect(await client.configure({ lang: "id" })).toBe("CONFIG id 60000");
    expect(await client.clearLog()).toMatch(/^LOGCLEAR \d+$/);
    expect(await client.wipe()).toBe("WIPE");
    expect(await client.installKeyset(world.keysetBytes)).toBe("INSTALLED 1");
    expect(await client.installKeyset(world.keysetBytes)).toBe("SAME 1");
    // The words alone, or another request's signature, are refused.
    const liar = new DeviceClient({ request: async (l) => (l.startsWith("ADMIN") ? "OK TIME 1800000040" : type(l)), close: async () => {} }, world.rootKey);
    await expect(liar.setTime(T0 + 40)).rejects.toThrow(/not signed/);
    let recorded = "";
    const replayer = new DeviceClient({ request: async (l) => (l.startsWith("ADMIN") ? (recorded === "" ? (recorded = await type(l)) : recorded) : type(l)), close: async () => {} }, world.rootKey);
    await replayer.setTime(T0 + 50);
    await expect(replayer.setTime(T0 + 50)).rejects.toThrow(/another challenge|STALE_NONCE/);
  });
}, 120_000);
