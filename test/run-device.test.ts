// pindai run: the real firmware on Node on real ptys (socat), as on a
// Raspberry Pi-class board: a scripted scan engine on --scan-port, the PN532
// emulator on --reader-port, the agency's tools on --admin-port, and a
// keyboard-wedge scanner on standard input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { openPtyPair, type PtyLink } from "../sim/pty";
import { attachPty, type PtyPair } from "../sim/pn532/attach";
import { HOLDER, makeWorld } from "../sim/world";
import { issuePresentation } from "../host/issuer/issuer";
import { newKey, writeKeyFile } from "../host/issuer/keyfile";
import { qrPng } from "../host/issuer/qr-image";
import { dirStorage } from "../firmware/targets/node/dir-storage";
import { systemRtc } from "../firmware/targets/node/system-rtc";
import { runCli } from "./support/cli";
import { provisionOverAdmin } from "./support/provision";
import { haveTool } from "./support/tools";

const HAVE = haveTool("socat");
const dir = mkdtempSync(join(tmpdir(), "pindai-run-"));
const now = Math.floor(Date.now() / 1000);
const world = makeWorld(now, 2);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const pindai = (args: string[]) => spawnSync(process.execPath, ["host/bin/pindai.js", ...args], { encoding: "utf8", timeout: 60_000 });
const fresh = (n: number) => issuePresentation(world.qrSigner, HOLDER, { iat: Math.floor(Date.now() / 1000), cti: new Uint8Array(16).fill(n) });

describe("the Node target's flash and clock", () => {
  it("flash files live in one folder, written whole: a write cut before its rename leaves the old file; a restart reads them back", () => {
    const flash = join(dir, "flash-unit");
    const a = dirStorage(flash);
    a.write("audit", new Uint8Array([1, 2, 3]), 0);
    a.write("audit", new Uint8Array([9]), 5);
    expect([...a.read("audit")!]).toEqual([1, 2, 3, 0, 0, 9]);
    a.write("../escape/x", new Uint8Array([7]), 0);
    expect(readdirSync(flash).sort()).toEqual(["%2e.%2fescape%2fx", "audit"]); // never outside the folder
    writeFileSync(join(flash, "~audit"), "torn"); // the power went between the new file and its rename
    const b = dirStorage(flash);
    expect([...b.read("audit")!]).toEqual([1, 2, 3, 0, 0, 9]);
    expect([...b.read("../escape/x")!]).toEqual([7]);
    b.erase("audit");
    expect(b.read("audit")).toBeUndefined();
  });

  it("the system clock: set by a signed TIME through an offset, still set after a restart in the same boot, not after a reboot", () => {
    const path = join(dir, "rtc-unit");
    let ms = 2_000_000_000_000;
    const rtc = systemRtc(path, () => ms, () => ms - 1_000_000_000_000);
    expect(rtc.wasSet()).toBe(false);
    expect(rtc.seconds()).toBe(2_000_000_000);
    rtc.set(1_900_000_000);
    ms += 5000;
    expect(rtc.seconds()).toBe(1_900_000_005);
    const again = systemRtc(path, () => ms, () => ms - 1_000_000_000_000);
    expect([again.wasSet(), again.seconds()]).toEqual([true, 1_900_000_005]);
    writeFileSync(path, JSON.stringify({ boot: "another-boot", offset: -100_000_000 }));
    expect(systemRtc(path, () => ms, () => ms - 1_000_000_000_000).wasSet()).toBe(false);
  });
});

describe("pindai run: usage", () => {
  it("--help says what it runs on and how to provision it", () => {
    const r = pindai(["run", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("--reader-port");
    expect(r.stdout).toContain("/dev/video0");
    expect(r.stdout).toContain("pindai device time --port PATH --admin-key FILE");
  });

  it("bad flags, no root, a missing port or a video device: one line, exit 2, nothing runs", () => {
    const root = hex(world.roots[0].publicKey);
    for (const [args, text] of [
      [["--screen", "bogus", "--root", root], '--screen: terminal or png DIR, got "bogus"'],
      [["--screen", "png", "--root", root], "--screen png: give the folder"],
      [["--bogus"], "unknown option --bogus"],
      [[], "no root of trust"],
      [["--root", "00"], '--root: "00" is neither 64 hex characters nor a file'],
      [["--root", root, "--scan-port", join(dir, "no-such-port")], `cannot open scan port ${join(dir, "no-such-port")}: no such port`],
      [["--root", root, "--reader-port", dir], `cannot open reader port ${dir}`],
      [["--root", root, "--camera", "/dev/null"], "is not read directly"],
    ] as Array<[string[], string]>) {
      const r = pindai(["run", ...args]);
      expect(r.status, args.join(" ")).toBe(/^cannot open/.test(text) ? 1 : 2); // a port tried and failed: 1 (pindai --help)
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr).toContain(text);
    }
  });
});

/** Reads lines from one end of a pty pair; write() sends to the device. */
async function farEnd(path: string, baudRate: number): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  return port;
}

describe.skipIf(!HAVE)("pindai run on real ptys", () => {
  let scan: PtyLink, admin: PtyLink, reader: PtyPair;
  let scanner: SerialPort;
  let proc: ChildProcess;
  let out = "";
  let exit: Promise<number | null>;

  /** Resolves when the device's output after `from` matches, with that output. */
  const seen = (re: RegExp, from: number, ms = 20_000) =>
    new Promise<string>((resolve, reject) => {
      const start = Date.now();
      const look = () => {
        const t = out.slice(from);
        if (re.test(t)) return resolve(t);
        if (Date.now() - start > ms) return reject(new Error(`no ${re} in:\n${t}`));
        setTimeout(look, 50);
      };
      look();
    });

  beforeAll(async () => {
    [scan, admin, reader] = await Promise.all([openPtyPair(), openPtyPair(), attachPty()]);
    scanner = await farEnd(scan.b, 9600);
    const config = join(dir, "agency.json");
    writeFileSync(config, JSON.stringify({ roots: [hex(world.roots[0].publicKey)], lang: "en", clearAfterMs: 1000 }));
    proc = spawn(
      process.execPath,
      ["host/bin/pindai.js", "run", "--config", config, "--scan-port", scan.a, "--reader-port", reader.hostPath, "--admin-port", admin.a, "--flash", join(dir, "flash")],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    proc.stdout!.on("data", (d) => (out += d.toString()));
    proc.stderr!.on("data", (d) => (out += d.toString()));
    exit = new Promise((res) => proc.once("exit", (code) => res(code)));
    await seen(/running: scans from stdin, scan engine/, 0, 60_000);
    // Provisioned as an agency does it, through the admin port: the key set, then a signed time.
    await provisionOverAdmin(admin.b, world, dir, now);
  }, 120_000);

  afterAll(async () => {
    if (proc?.exitCode === null) proc.kill("SIGKILL");
    await new Promise<void>((res) => (scanner?.isOpen ? scanner.close(() => res()) : res()));
    await reader?.close();
    scan?.close();
    admin?.close();
  });

  it("a fresh code from the scan engine: VALID on the screen, green LED", async () => {
    const from = out.length;
    scanner.write(fresh(1) + "\r\n");
    const t = await seen(/VALID[\s\S]*LED green/, from);
    expect(t).toContain("Name: Siti Aminah");
  });

  it("a genuine card tapped on the PN532: its verdict", async () => {
    await seen(/READY/, out.length - 1); // back to idle: the poller reads only then
    const from = out.length;
    reader.emulator.tap(world.cards.genuine);
    const t = await seen(/VALID[\s\S]*LED green/, from);
    reader.emulator.tap(undefined);
    expect(t).toContain("Siti Aminah");
    const from2 = out.length;
    await seen(/READY/, from2);
    reader.emulator.tap(world.cards.clone);
    expect(await seen(/Card is not genuine \(a copy\)/, from2)).toContain("LED red");
    reader.emulator.tap(undefined);
  });

  it("a line on standard input (a keyboard-wedge scanner) is scanned", async () => {
    await seen(/READY/, out.length - 1);
    const from = out.length;
    proc.stdin!.write(fresh(2) + "\n");
    expect(await seen(/VALID[\s\S]*LED green/, from)).toContain("Name: Siti Aminah");
  });

  it("SIGTERM ends it: exit 0, and the process is gone", async () => {
    proc.kill("SIGTERM");
    expect(await exit).toBe(0);
    expect(() => process.kill(proc.pid!, 0)).toThrow();
  });

  it("restarted on the same flash, with a camera folder and the screen as PNG: a frame a capture tool writes is read, VALID", async () => {
    const cam = join(dir, "camera");
    const screen = join(dir, "screen");
    mkdirSync(cam);
    const p = spawn(
      process.execPath,
      ["host/bin/pindai.js", "run", "--config", join(dir, "agency.json"), "--camera", cam, "--screen", "png", screen, "--flash", join(dir, "flash")],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let text = "";
    p.stdout!.on("data", (d) => (text += d.toString()));
    p.stderr!.on("data", (d) => (text += d.toString()));
    const ended = new Promise((res) => p.once("exit", res));
    try {
      const until = async (re: RegExp) => {
        for (let i = 0; i < 600 && !re.test(text); i++) await new Promise((r) => setTimeout(r, 50));
        expect(text).toMatch(re);
      };
      await until(/running: .*camera/);
      // The key set and the signed time survived the restart (same boot): written as a capture tool does, then renamed in.
      writeFileSync(join(cam, "frame.tmp"), await qrPng(fresh(3)));
      renameSync(join(cam, "frame.tmp"), join(cam, "frame.png"));
      await until(/screen: \[green\] VALID/);
      await until(/LED green/);
      expect(existsSync(join(screen, "screen.png"))).toBe(true);
      expect(readFileSync(join(screen, "screen.png")).subarray(1, 4).toString()).toBe("PNG");
    } finally {
      p.kill("SIGTERM");
      expect(await ended).toBe(0);
    }
  }, 60_000);
});
