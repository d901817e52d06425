// pindai run as a service (issue 20 item 8): as systemd starts it, with no
// standard input and no terminal; SIGTERM ends it with exit 0 and one line;
// the flash folder outside the work tree, made 0700; a USB scanner read from
// its input device (synthetic key events through a FIFO); a warning line
// when the camera or the card reader stops answering; answers to an admin
// port whose peer never reads are dropped, not queued without bound.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openOneWayPty, openPtyPair, type PtyLink } from "../sim/pty";
import { attachPty, type PtyPair } from "../sim/pn532/attach";
import { HOLDER, makeWorld } from "../sim/world";
import { issuePresentation } from "../host/issuer/issuer";
import { newKey, writeKeyFile } from "../host/issuer/keyfile";
import { EV_KEY, KeyDecoder, MAX_SCAN_LINE, eventSize } from "../firmware/targets/node/evdev-scanner";
import { flashFolder } from "../host/src/commands/run";
import { runCli } from "./support/cli";
import { provisionOverAdmin } from "./support/provision";
import { haveTool } from "./support/tools";

const HAVE = haveTool("socat") && haveTool("mkfifo");
const dir = mkdtempSync(join(tmpdir(), "pindai-service-"));
const now = Math.floor(Date.now() / 1000);
const world = makeWorld(now, 2);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const fresh = (n: number) => issuePresentation(world.qrSigner, HOLDER, { iat: Math.floor(Date.now() / 1000), cti: new Uint8Array(16).fill(n) });

// Key codes of a US keyboard (linux/input-event-codes.h), written out here on their own so
// the test does not take the decoder's table for granted. [code, shift]
const US: Record<string, [number, boolean]> = { " ": [57, false], "-": [12, false], ".": [52, false], "/": [53, false], $: [5, true], "%": [6, true], "*": [9, true], "+": [13, true], ":": [39, true] };
"1234567890".split("").forEach((c, i) => (US[c] = [2 + i, false]));
for (const [first, row] of [[16, "QWERTYUIOP"], [30, "ASDFGHJKL"], [44, "ZXCVBNM"]] as Array<[number, string]>) {
  row.split("").forEach((c, i) => ((US[c] = [first + i, true]), (US[c.toLowerCase()] = [first + i, false])));
}
const SHIFT = 42;
const ENTER = 28;

/** struct input_event records for typing `text` then Enter, as a scanner sends them (size: 24 or 16 bytes). */
function keyEvents(text: string, size = eventSize()): Buffer {
  const out: Buffer[] = [];
  const ev = (type: number, code: number, value: number) => {
    const b = Buffer.alloc(size);
    b.writeUInt32LE(now & 0xffffffff, 0); // tv_sec (low word)
    b.writeUInt16LE(type, size - 8);
    b.writeUInt16LE(code, size - 6);
    b.writeInt32LE(value, size - 4);
    out.push(b);
  };
  const key = (code: number) => {
    ev(EV_KEY, code, 1);
    ev(0, 0, 0); // SYN_REPORT
    ev(EV_KEY, code, 0);
    ev(0, 0, 0);
  };
  for (const ch of text) {
    const k = US[ch];
    if (k === undefined) throw new Error(`no key for ${JSON.stringify(ch)}`);
    if (k[1]) ev(EV_KEY, SHIFT, 1);
    key(k[0]);
    if (k[1]) ev(EV_KEY, SHIFT, 0);
  }
  key(ENTER);
  return Buffer.concat(out);
}

describe("the keyboard-wedge decoder (struct input_event)", () => {
  it("types back a PD1: code's characters, on 64-bit and 32-bit event sizes, in chunks cut anywhere", () => {
    const code = fresh(1);
    expect(code.startsWith("PD1:")).toBe(true);
    for (const size of [24, 16]) {
      const lines: string[] = [];
      const d = new KeyDecoder((l) => lines.push(l), size);
      const bytes = keyEvents(code + "", size);
      for (let i = 0; i < bytes.length; i += 7) d.push(new Uint8Array(bytes.subarray(i, i + 7)));
      expect(lines).toEqual([code]);
    }
    expect(eventSize("x64")).toBe(24);
    expect(eventSize("arm64")).toBe(24);
    expect(eventSize("arm")).toBe(16);
  });

  it("every Base45 character and lower case; caps lock; a key repeat; an overlong line is dropped whole", () => {
    const lines: string[] = [];
    const d = new KeyDecoder((l) => lines.push(l), 24);
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    d.push(new Uint8Array(keyEvents(alphabet + "abc", 24)));
    expect(lines).toEqual([alphabet + "abc"]);
    // caps lock on: letters flip case, digits do not
    const caps = Buffer.concat([Buffer.from(keyEvents("", 24).subarray(0, 0)), evOne(58, 1), evOne(58, 0), keyEvents("a1", 24), evOne(58, 1), evOne(58, 0)]);
    d.push(new Uint8Array(caps));
    expect(lines[1]).toBe("A1");
    d.push(new Uint8Array(Buffer.concat([evOne(30, 1), evOne(30, 2), evOne(30, 0), evOne(28, 1), evOne(28, 0)])));
    expect(lines[2]).toBe("aa");
    d.push(new Uint8Array(keyEvents("9".repeat(MAX_SCAN_LINE + 1) , 24)));
    d.push(new Uint8Array(keyEvents("OK", 24)));
    expect(lines.slice(3)).toEqual(["OK"]);
  });
});

function evOne(code: number, value: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt16LE(EV_KEY, 16);
  b.writeUInt16LE(code, 18);
  b.writeInt32LE(value, 20);
  return b;
}

describe("the flash folder", () => {
  it("defaults outside the work tree: /var/lib/pindai as root, else XDG_DATA_HOME or ~/.local/share; made 0700", () => {
    const xdg = join(dir, "xdg");
    mkdirSync(xdg);
    const made = flashFolder(undefined, { XDG_DATA_HOME: xdg }, 1000);
    expect(made).toBe(join(xdg, "pindai"));
    expect(statSync(made).mode & 0o777).toBe(0o700);
    expect(flashFolder(undefined, { XDG_DATA_HOME: "relative" }, 1000)).toMatch(/\.local\/share\/pindai$/);
    if (process.getuid?.() === 0) expect(flashFolder(undefined, {}, 0)).toBe("/var/lib/pindai");
    // --flash: the folder is made (0700), never a missing parent tree
    expect(statSync(flashFolder(join(dir, "given"))).mode & 0o777).toBe(0o700);
    expect(() => flashFolder(join(dir, "no", "such", "parent"))).toThrow(/parent folder .* does not exist/);
    writeFileSync(join(dir, "a-file"), "");
    expect(() => flashFolder(join(dir, "a-file"))).toThrow(/not a folder/);
  });
});

describe.skipIf(!HAVE)("pindai run as systemd runs it", () => {
  let admin: PtyLink, reader: PtyPair;
  let proc: ChildProcess;
  let out = "";
  let exit: Promise<number | null>;
  const fifo = join(dir, "scanner");
  const xdg = join(dir, "data");
  let writer: number | undefined;
  // As root the default is /var/lib/pindai, which a test must not touch: the folder is given then.
  const root = process.getuid?.() === 0;
  const pindaiArgs = () => ["host/bin/pindai.js", "run", ...(root ? ["--flash", join(dir, "flash")] : [])];

  const seen = (re: RegExp, from: number, ms = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const start = Date.now();
      const look = () => {
        const t = out.slice(from);
        if (re.test(t)) return resolve(t);
        if (proc.exitCode !== null) return reject(new Error(`it exited (${proc.exitCode}) before ${re}:\n${t}`));
        if (Date.now() - start > ms) return reject(new Error(`no ${re} in:\n${t}`));
        setTimeout(look, 50);
      };
      look();
    });

  beforeAll(async () => {
    [admin, reader] = await Promise.all([openPtyPair(), attachPty()]);
    spawnSync("mkfifo", [fifo]);
    mkdirSync(xdg);
    const config = join(dir, "agency.json");
    writeFileSync(config, JSON.stringify({ roots: [hex(world.roots[0].publicKey)], lang: "en", clearAfterMs: 1000 }));
    const cam = join(dir, "camera");
    mkdirSync(cam);
    // No stdin (/dev/null), no terminal (its own session), HOME and XDG_DATA_HOME in the scratch folder.
    proc = spawn(
      process.execPath,
      [...pindaiArgs(), "--config", config, "--scan-input", fifo, "--reader-port", reader.hostPath, "--admin-port", admin.a, "--camera", cam, "--warn-after", "2"],
      { stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, HOME: dir, XDG_DATA_HOME: xdg } },
    );
    proc.stdout!.on("data", (d) => (out += d.toString()));
    proc.stderr!.on("data", (d) => (out += d.toString()));
    // "close", not "exit": the last line may still be in the pipe when the process has exited (a full run missed it once).
    exit = new Promise((res) => proc.once("close", (code) => res(code)));
    await seen(/running: .*scanner .*scanner/, 0, 120_000);
    // Provisioned as an agency does it, through the admin port: the key set, then a signed time.
    await provisionOverAdmin(admin.b, world, dir, now);
  }, 180_000);

  afterAll(async () => {
    if (writer !== undefined) closeSync(writer);
    if (proc?.exitCode === null) proc.kill("SIGKILL");
    await reader?.close();
    admin?.close();
  });

  it("runs with standard input at its end, its flash in XDG_DATA_HOME/pindai (0700)", async () => {
    const flash = root ? join(dir, "flash") : join(xdg, "pindai");
    expect(out).toContain(`flash ${flash}`);
    expect(statSync(flash).mode & 0o777).toBe(0o700);
    expect(proc.exitCode).toBeNull();
  });

  it("a code typed by a USB scanner into its input device (a FIFO of key events): VALID", async () => {
    writer = openSync(fifo, "w"); // the reader has the FIFO open already: this does not block
    const from = out.length;
    writeSync(writer, keyEvents(fresh(3)));
    const t = await seen(/VALID[\s\S]*LED green/, from);
    expect(t).toContain("Name: Siti Aminah");
  });

  it("a camera with no frames and a card reader gone silent each get one warning line", async () => {
    await seen(/warning: the camera gave no new frame for 2 s/, 0);
    const from = out.length;
    reader.emulator.faults.silent = true;
    await seen(/warning: the card reader stopped answering/, from);
    reader.emulator.faults.silent = false;
    await seen(/card reader: answering again/, from);
    expect(out.match(/warning: the camera/g)).toHaveLength(1);
  });

  it("answers to an admin peer that never reads are dropped: memory stays flat", async () => {
    // A device of its own whose admin pty is never read from (socat -u only writes into it): its
    // answers stay in the kernel's buffer, then in its port's queue, where they must stop.
    const pty = await openOneWayPty();
    const flood = spawn(process.execPath, ["host/bin/pindai.js", "run", "--flash", mkdtempSync(join(dir, "flood-")), "--root", hex(world.roots[0].publicKey), "--admin-port", pty.path], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, HOME: dir, XDG_DATA_HOME: xdg },
    });
    let said = "";
    flood.stdout!.on("data", (d) => (said += d.toString()));
    flood.stderr!.on("data", (d) => (said += d.toString()));
    try {
      const start = Date.now();
      while (!/running:/.test(said) && flood.exitCode === null && Date.now() - start < 60_000) await new Promise((r) => setTimeout(r, 50));
      expect(said).toMatch(/running:/);
      const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${flood.pid}/status`, "utf8"))![1]) * 1024;
      const before = rss();
      const lines = Buffer.from("VERSION\n".repeat(8192)); // 64 KB of requests, each answered with 17 bytes
      const WANT = 24 * 1024 * 1024; // answers to all of it, kept: about 51 MB
      const written = await pty.pour(lines, WANT, 150_000, () => flood.exitCode === null);
      const after = rss();
      console.log(`admin flood: ${(written / 1048576).toFixed(1)} MB of requests, never read; RSS ${(before / 1048576).toFixed(0)} -> ${(after / 1048576).toFixed(0)} MB`);
      expect(written).toBeGreaterThanOrEqual(WANT);
      expect(after - before).toBeLessThan(WANT); // under half of what keeping every answer would take
      expect(flood.exitCode).toBeNull();
    } finally {
      flood.kill("SIGKILL");
      pty.close();
    }
  }, 240_000);

  it("SIGTERM: exit 0, one line, no stack trace", async () => {
    const from = out.length;
    proc.kill("SIGTERM");
    expect(await exit).toBe(0);
    const tail = out.slice(from).trim().split("\n");
    expect(tail).toEqual(["pindai run: stopped (SIGTERM)"]);
  });
});
