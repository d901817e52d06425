// The fleet tool against real devices on real ptys (socat): the simulator
// with its admin line on a pty, and the Lua image whose stdin/stdout are its
// admin line (stdio-hal.lua --admin-stdio). Everything goes through the real
// `pindai device` and `pindai fleet` commands and node-serialport.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { openPtyPair, type PtyLink } from "../sim/pty";
import { SimConsole } from "../sim/console";
import { nodeSerial } from "../firmware/targets/node/serial";
import { signedCommand } from "../host/issuer/device-client";
import { keysetPayload, sign1 } from "../host/issuer/cose-sign";
import { ed } from "../host/issuer/ed";
import { SIGNATURE_BUDGET } from "../firmware/app/admin-protocol";
import { hex } from "../host/issuer/keyfile";
import { runCli } from "./support/cli";
import { haveTool } from "./support/tools";
import { keyPaths, ptyDevices, type PtyDevices } from "./support/pty-devices";

const HAVE = haveTool("socat") && haveTool("lua5.4");
const dir = mkdtempSync(join(tmpdir(), "pindai-admin-pty-"));

/** A raw line on a pty, as anyone at the port could type it; the reply line. */
async function typeLine(path: string, line: string): Promise<string> {
  const port = new SerialPort({ path, baudRate: 115200 });
  await new Promise((r) => port.once("open", r));
  let got = "";
  const done = new Promise<string>((resolve) => {
    const t = setTimeout(() => resolve("(no answer)"), 5000);
    port.on("data", (d: Buffer) => {
      got += d.toString();
      const m = /^(OK|ERR)[^\r\n]*/m.exec(got);
      if (m) {
        clearTimeout(t);
        resolve(m[0]);
      }
    });
  });
  port.write(line + "\n");
  const r = await done;
  await new Promise((res) => port.close(res));
  return r;
}

describe.skipIf(!HAVE)("pindai device and pindai fleet over real ptys", () => {
  let devices: PtyDevices;
  let sim: SimConsole;
  let simLink: PtyLink;
  let lua: { path: string; proc: ChildProcess };
  const { admin: adminKey, root: rootKey, qr: qrKey, keyset: keysetFile } = keyPaths(dir);
  const db = join(dir, "fleet-db");

  beforeAll(async () => {
    devices = await ptyDevices(dir, "lua-pty");
    ({ sim, simLink, lua } = devices);
  }, 120_000);

  afterAll(() => devices?.close());

  it("an unsigned TIME typed on either admin line is refused", async () => {
    expect(await typeLine(simLink.b, "TIME 1000000000")).toMatch(/^ERR SIGNATURE_REQUIRED/);
    expect(await typeLine(lua.path, "TIME 1000000000")).toMatch(/^ERR SIGNATURE_REQUIRED/);
    expect(await typeLine(lua.path, "VERSION")).toBe("OK pindai lua-pty");
  });

  it("pindai device: id, key set, signed time, signed status, language, logs as CSV (simulator)", async () => {
    const id = await runCli("device", "id", "--port", simLink.b, "--json");
    expect(id.code, id.err).toBe(0);
    const { id: devId } = JSON.parse(id.out);
    expect((await runCli("device", "keyset", "--port", simLink.b, "--keyset", keysetFile)).out).toMatch(/INSTALLED 1/);
    expect((await runCli("device", "time", "--port", simLink.b)).code).toBe(2); // signed: needs --admin-key
    const byAdmin = await runCli("device", "time", "--port", simLink.b, "--admin-key", adminKey);
    expect(byAdmin.code).toBe(1); // the clock was never set: only a root may sign
    expect(byAdmin.err).toMatch(/CLOCK_NOT_TRUSTED/);
    const t = await runCli("device", "time", "--port", simLink.b, "--admin-key", rootKey, "--expect-id", devId);
    expect(t.code, t.err).toBe(0);
    expect(t.err).toContain(`signing TIME for device ${devId}`);
    const st = await runCli("device", "status", "--port", simLink.b, "--json");
    expect(JSON.parse(st.out)).toMatchObject({ device: devId, keyset: 1, trusted: true });
    expect((await runCli("device", "lang", "id", "--port", simLink.b, "--admin-key", adminKey)).code).toBe(0);
    sim.device.clear();
    expect(sim.device.screen.title).toBe("SIAP");
    await sim.run("phone");
    const csv = join(dir, "sim-log.csv");
    const logs = await runCli("device", "logs", "--port", simLink.b, "--admin-key", adminKey, "--csv", csv);
    expect(logs.code, logs.err).toBe(0);
    const rows = readFileSync(csv, "utf8").trim().split("\n");
    expect(rows[0]).toBe("device,seq,time,time_utc,verdict,source,kid,nik_hash,warnings");
    expect(rows.slice(1).map((r) => r.split(",")[4] + " " + r.split(",")[5])).toEqual(["OK time", "OK qr"]);
    expect(rows[2].startsWith(devId + ",")).toBe(true);
  });

  it("a signed command recorded on the line works neither twice nor on the other device; a QR key cannot administer", async () => {
    const [, luaId] = (await typeLine(lua.path, "ID")).split(" ");
    // the key set first (its answer signed by the Lua device and checked), so the admin key is known there
    expect((await runCli("device", "keyset", "--port", lua.path, "--keyset", keysetFile)).out).toMatch(/INSTALLED 1/);
    // its clock was never set: an admin key's window cannot be judged, only a root may sign (issue 21)
    const n1 = (await typeLine(lua.path, "NONCE")).slice(3);
    const now = Math.floor(Date.now() / 1000);
    expect(await typeLine(lua.path, signedCommand(sim.world.adminKey, Buffer.from(luaId, "hex"), Buffer.from(n1, "hex"), "TIME", now))).toMatch(/^ERR CLOCK_NOT_TRUSTED/);
    const nonce = (await typeLine(lua.path, "NONCE")).slice(3);
    const line = signedCommand(sim.world.rootKey, Buffer.from(luaId, "hex"), Buffer.from(nonce, "hex"), "TIME", now);
    expect(await typeLine(lua.path, line)).toMatch(/^OK TIME \d+ [0-9a-f]+$/);
    expect(await typeLine(lua.path, line)).toMatch(/^ERR STALE_NONCE/); // recorded and sent again
    await typeLine(simLink.b, "NONCE");
    expect(await typeLine(simLink.b, line)).toMatch(/^ERR (WRONG_DEVICE|STALE_NONCE)/); // sent to the other device
    const byQr = await runCli("device", "time", "--port", lua.path, "--admin-key", qrKey);
    expect(byQr.code).toBe(2); // the tool refuses a QR key file before sending
    const n3 = (await typeLine(lua.path, "NONCE")).slice(3);
    expect(await typeLine(lua.path, signedCommand(sim.world.qrSigner, Buffer.from(luaId, "hex"), Buffer.from(n3, "hex"), "TIME", 1))).toMatch(/^ERR NOT_ADMIN/);
  });

  it("issue 21 on the Lua image: after a root's WIPE, a key set of the installed version with other bytes is refused", async () => {
    const now = Math.floor(Date.now() / 1000);
    const w = sim.world;
    const entry = (k: { secretKey: Uint8Array; kid: Uint8Array }, usage: number) => ({ kid: k.kid, publicKey: ed.getPublicKey(k.secretKey), nbf: now - 86400, exp: now + 86400, usage });
    const otherV1 = sign1(w.rootKey.secretKey, w.rootKey.kid, keysetPayload({ version: 1, issued: now - 60, nextUpdate: now + 86400, keys: [entry(w.qrSigner, 1), entry(w.adminKey, 4)], revoked: [], policy: { skew: 30, maxValidity: 90, replay: 2 } }));
    const [, luaId] = (await typeLine(lua.path, "ID")).split(" ");
    const nonce = (await typeLine(lua.path, "NONCE")).slice(3);
    expect(await typeLine(lua.path, signedCommand(w.rootKey, Buffer.from(luaId, "hex"), Buffer.from(nonce, "hex"), "WIPE"))).toMatch(/^OK WIPE [0-9a-f]+$/);
    expect(await typeLine(lua.path, "KEYSET " + hex(otherV1))).toMatch(/^ERR OLDER: version 1 was installed on this device with other bytes/);
    expect(await typeLine(lua.path, "KEYSET " + hex(w.keysetBytes))).toBe("OK INSTALLED 1");
  });

  it("pindai fleet: enroll both, push the key set, set the time, pull logs (checked), export CSV; an unknown device is refused", async () => {
    const ports = `${simLink.b},${lua.path}`;
    const en = await runCli("fleet", "enroll", "--ports", ports, "--db", db);
    expect(en.code, en.err).toBe(0);
    expect(JSON.parse((await runCli("fleet", "list", "--db", db, "--json")).out)).toHaveLength(2);
    expect((await runCli("fleet", "push-keyset", "--ports", ports, "--db", db, "--keyset", keysetFile)).code).toBe(0);
    const st = await runCli("fleet", "set-time", "--ports", ports, "--db", db, "--admin-key", adminKey);
    expect(st.code, st.err).toBe(0);
    expect(st.out).toMatch(/2 device\(s\) done/);
    const csv = join(dir, "fleet.csv");
    const pl = await runCli("fleet", "pull-logs", "--ports", ports, "--db", db, "--admin-key", adminKey);
    expect(pl.code, pl.err).toBe(0);
    expect((await runCli("fleet", "logs", "--db", db, "--csv", csv)).code).toBe(0);
    const rows = readFileSync(csv, "utf8").trim().split("\n").slice(1);
    expect(new Set(rows.map((r) => r.split(",")[0])).size).toBe(2);
    // pulling again adds nothing twice
    const again = await runCli("fleet", "pull-logs", "--ports", ports, "--db", db, "--admin-key", adminKey);
    expect(again.out).toMatch(/0 new/);
    // a device that is not enrolled (another simulator on another pty)
    const stranger = new SimConsole({ fresh: true, lang: "en" });
    const link = await openPtyPair();
    const p = new SerialPort({ path: link.a, baudRate: 115200 });
    await new Promise((r) => p.once("open", r));
    stranger.connectAdmin(nodeSerial(p));
    const r = await runCli("fleet", "set-time", "--ports", `${link.b}`, "--db", db, "--admin-key", adminKey, "--retry-out", join(dir, "retry.txt"));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not enrolled/);
    await new Promise((res) => p.close(res));
    link.close();
    const ex = await runCli("fleet", "logs", "--db", db, "--csv", join(dir, "all.csv"));
    expect(ex.code).toBe(0);
  });

  it("issue 21 on the Lua image: a key set from the future is refused, unsigned signature work is rate limited", async () => {
    const now = Math.floor(Date.now() / 1000);
    const w = sim.world;
    const entry = (k: { secretKey: Uint8Array; kid: Uint8Array }, usage: number) => ({ kid: k.kid, publicKey: ed.getPublicKey(k.secretKey), nbf: now - 86400, exp: now + 86400, usage });
    const future = sign1(w.rootKey.secretKey, w.rootKey.kid, keysetPayload({ version: 2, issued: now + 30 * 86400, nextUpdate: now + 60 * 86400, keys: [entry(w.qrSigner, 1), entry(w.adminKey, 4)], revoked: [], policy: { skew: 30, maxValidity: 90, replay: 2 } }));
    expect(await typeLine(lua.path, "STATUS")).toMatch(/^OK 1 1 /); // provisioned and trusted by the tests above
    expect(await typeLine(lua.path, "KEYSET " + hex(future))).toMatch(/^ERR ISSUED_IN_FUTURE/);
    expect(await typeLine(lua.path, "STATUS")).toMatch(/^OK 1 1 /);
    const replies: string[] = [];
    for (let i = 0; i <= SIGNATURE_BUDGET && !replies.some((r) => r.startsWith("ERR BUSY")); i++) replies.push(await typeLine(lua.path, "STATUS " + "cd".repeat(16)));
    expect(replies[replies.length - 1]).toMatch(/^ERR BUSY try again in \d+ s/);
    expect(await typeLine(lua.path, "VERSION")).toBe("OK pindai lua-pty"); // the words still answer
  });

  it("a silent port fails with exit 1 within the timeout, never a hang", async () => {
    const link = await openPtyPair(); // nobody on the other end
    const t0 = Date.now();
    const r = await runCli("device", "status", "--port", link.b, "--timeout", "500");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no answer .* within 500 ms/);
    expect(Date.now() - t0).toBeLessThan(5000);
    link.close();
  });
}, 180_000);

