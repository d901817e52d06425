// Devices on the network: the admin protocol over TCP (firmware/targets/node/
// admin-tcp.ts) with its bounds, `pindai sim --devices N --admin-listen`
// provisioned by one `pindai fleet provision` with no database installed,
// `pindai run --admin-listen`, `pindai ports --probe`, and `pindai sim --root`
// trusting an agency's own root. The CLIs run as real processes where they
// serve devices.
import { afterAll, describe, expect, it } from "vitest";
import { createConnection, createServer, type Socket } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { SimDevice } from "../sim/device";
import { SimFlash } from "../sim/flash";
import { VirtualRtc } from "../sim/rtc";
import { makeWorld } from "../sim/world";
import { listenAdmin } from "../firmware/targets/node/admin-tcp";
import { MAX_ADMIN_LINE } from "../firmware/app/admin-protocol";
import { KEYSET_POLICY } from "../firmware/core/policy";
import { keysetPayload, sign1 } from "../host/issuer/cose-sign";
import { newKey, unhex, USAGE_BIT } from "../host/issuer/keyfile";
import { killChild, spawnChild } from "./support/children";
import { runCli } from "./support/cli";

const dir = mkdtempSync(join(tmpdir(), "pindai-fleet-tcp-"));
process.env.XDG_DATA_HOME = join(dir, "data");
const children: ChildProcess[] = [];
afterAll(() => children.forEach(killChild));

/** A first port with `n` free ports after it (bound and closed: free a moment ago). */
async function freePorts(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 40000);
    const servers = [];
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      const s = createServer();
      ok = await new Promise<boolean>((r) => {
        s.once("error", () => r(false));
        s.listen(base + i, "127.0.0.1", () => r(true));
      });
      servers.push(s);
    }
    await Promise.all(servers.map((s) => new Promise((r) => (s.listening ? s.close(r) : r(0)))));
    if (ok) return base;
  }
  throw new Error("no free ports");
}

/** Start `pindai ARGS` and wait until its output matches. */
function pindai(args: string[], ready: RegExp): Promise<{ proc: ChildProcess; out: () => string }> {
  const proc = spawnChild(process.execPath, ["host/bin/pindai.js", ...args], { stdio: ["pipe", "pipe", "pipe"] });
  children.push(proc);
  let out = "";
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`pindai ${args.join(" ")}: not ready in 60 s:\n${out}`)), 60_000);
    const seen = (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) {
        clearTimeout(t);
        resolve({ proc, out: () => out });
      }
    };
    proc.stdout!.on("data", seen);
    proc.stderr!.on("data", seen);
    proc.once("exit", (code) => reject(new Error(`pindai ${args.join(" ")} exited ${code}:\n${out}`)));
  });
}

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: "127.0.0.1", port }, () => resolve(s));
    s.once("error", reject);
  });
}

function lineFrom(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const on = (b: Buffer) => {
      got += b.toString("latin1");
      const i = got.indexOf("\n");
      if (i >= 0) {
        s.off("data", on);
        resolve(got.slice(0, i).replace(/\r$/, ""));
      }
    };
    s.on("data", on);
  });
}

describe("the admin protocol over TCP", () => {
  it("bounded: a fifth connection is told ERR BUSY, an overlong line is one ERR, a peer that never reads is cut off", async () => {
    const world = makeWorld(Math.floor(Date.now() / 1000));
    const d = new SimDevice({ roots: world.roots, buildTime: 1_767_225_600, version: "tcp", tables: false, flash: new SimFlash(), rtc: new VirtualRtc(0, 1) });
    const l = await listenAdmin((s) => d.connectAdmin(s), { host: "127.0.0.1", port: 0, maxConnections: 4, maxQueuedBytes: 4096 });
    try {
      const four = await Promise.all([1, 2, 3, 4].map(() => connect(l.port)));
      const fifth = await connect(l.port);
      expect(await lineFrom(fifth)).toBe("ERR BUSY too many admin connections");
      four[0].write("VERSION\n");
      expect(await lineFrom(four[0])).toBe("OK pindai tcp");
      four[1].write("X".repeat(MAX_ADMIN_LINE + 10) + "\n");
      expect(await lineFrom(four[1])).toMatch(/^ERR LINE_TOO_LONG/);
      for (const s of four) s.destroy();
      await new Promise((r) => setTimeout(r, 100));
      expect(l.connections()).toBe(0);
      // Requests by the thousand, replies never read: the device does not buffer them for ever.
      const greedy = await connect(l.port);
      greedy.pause();
      greedy.on("error", () => {});
      expect(l.connections()).toBe(1);
      for (let i = 0; i < 200; i++) greedy.write("ID\n".repeat(1000));
      // The device's side closes it (a paused peer sees its end only when it reads again).
      const t0 = Date.now();
      while (l.connections() > 0 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
      expect(l.connections()).toBe(0);
      greedy.destroy();
    } finally {
      await l.close();
    }
  }, 60_000);

  it("pindai sim --devices 3: a new agency provisions three devices with one command and no database installed", async () => {
    const port = await freePorts(3);
    const keys = join(dir, "keys");
    await pindai(["sim", "--devices", "3", "--admin-listen", `127.0.0.1:${port}`, "--write-keys", keys], /3 simulated device\(s\) on tcp:\/\/127\.0\.0\.1:\d+-\d+/);
    const db = join(dir, "first-day-db");
    const range = `tcp://127.0.0.1:${port}-${port + 2}`;
    const p = await runCli("fleet", "provision", "--db", db, "--ports", range, "--keyset", join(keys, "keyset.cbor"), "--admin-key", join(keys, "root.json")); // a new device: a root sets its clock
    expect(p.code, p.err).toBe(0);
    expect(p.out.split("\n").filter((l) => /provisioned: firmware sim, key set v1, clock trusted/.test(l))).toHaveLength(3);
    expect(p.out).toMatch(/^3 device\(s\) done$/m);
    const probe = await runCli("ports", "--probe", range, "--json");
    const found = JSON.parse(probe.out).filter((r: { device: string | null }) => r.device !== null);
    expect(found).toHaveLength(3);
    const st = await runCli("fleet", "status", "--db", db);
    expect(st.out).toMatch(/3 device\(s\), 0 need attention/);
  }, 120_000);

  it("a relay that answers OK to KEYSET without passing it on: push-keyset fails, the device's signed STATUS says otherwise (issue 21 finding 9)", async () => {
    const world = makeWorld(Math.floor(Date.now() / 1000));
    const d = new SimDevice({ roots: world.roots, buildTime: 1_767_225_600, version: "relay", tables: false, flash: new SimFlash(), rtc: new VirtualRtc(0, 1) });
    const dev = await listenAdmin((s) => d.connectAdmin(s), { host: "127.0.0.1", port: 0 });
    const relay = createServer((client) => {
      const up = createConnection({ host: "127.0.0.1", port: dev.port });
      up.pipe(client);
      let buf = "";
      client.on("data", (b: Buffer) => {
        buf += b.toString("latin1");
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i + 1);
          buf = buf.slice(i + 1);
          if (line.startsWith("KEYSET ")) client.write("OK INSTALLED 1\r\n"); // dropped, and lied about
          else up.write(line);
        }
      });
      client.on("close", () => up.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", () => r()));
    try {
      const ks = join(dir, "relay-keyset.cbor");
      writeFileSync(ks, world.keysetBytes);
      const at = `tcp://127.0.0.1:${(relay.address() as { port: number }).port}`;
      const db = join(dir, "relay-db");
      expect((await runCli("fleet", "enroll", "--db", db, "--ports", at)).code).toBe(0);
      const r = await runCli("fleet", "push-keyset", "--db", db, "--ports", at, "--keyset", ks, "--retry-out", join(dir, "relay-retry.txt"));
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/FAILED: KEYSET: /);
      expect(d.app.keysets.current).toBeUndefined();
    } finally {
      relay.close();
      await dev.close();
    }
  }, 120_000);

  it("pindai run --admin-listen: a Linux-class device is enrolled over the network; a bad address is one line, exit 2", async () => {
    const port = await freePorts(1);
    const world = makeWorld(Math.floor(Date.now() / 1000));
    const root = Buffer.from(world.roots[0].publicKey).toString("hex");
    await pindai(["run", "--admin-listen", `127.0.0.1:${port}`, "--root", root, "--flash", join(dir, "run-flash")], /admin over TCP on 127\.0\.0\.1:\d+/);
    const en = await runCli("fleet", "enroll", "--db", join(dir, "run-db"), "--ports", `127.0.0.1:${port}`, "--label", "gate");
    expect(en.code, en.err).toBe(0);
    expect(en.out).toMatch(/enrolled, firmware .*key set none, clock NOT TRUSTED/);
    const bad = await runCli("run", "--admin-listen", "nowhere", "--root", root);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^pindai run: --admin-listen: expected HOST:PORT/);
  }, 120_000);

  it("pindai sim --root: the simulator trusts an agency's own root (its key set installs; without --root it is refused)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const root = newKey(["root"], now - 86400, now + 365 * 86400);
    const qr = newKey(["qr"], now - 86400, now + 365 * 86400);
    const ks = sign1(unhex(root.secretKey!), unhex(root.kid), keysetPayload({ version: 2, issued: now - 60, nextUpdate: now + 30 * 86400, keys: [{ kid: unhex(qr.kid), publicKey: unhex(qr.publicKey), nbf: qr.nbf, exp: qr.exp, usage: USAGE_BIT.qr }], revoked: [], policy: KEYSET_POLICY }));
    const script = join(dir, "agency.script");
    writeFileSync(script, `admin KEYSET ${Buffer.from(ks).toString("hex")}\n`);
    const mine = await runCli("sim", "--script", script, "--root", root.publicKey);
    expect(mine.out).toMatch(/OK INSTALLED 2/);
    const other = await runCli("sim", "--script", script);
    expect(other.out).toMatch(/ERR UNKNOWN_KEY/);
    const cfg = join(dir, "agency.json");
    writeFileSync(cfg, JSON.stringify({ roots: [root.publicKey] }));
    expect((await runCli("sim", "--script", script, "--config", cfg)).out).toMatch(/OK INSTALLED 2/);
  }, 60_000);
});
