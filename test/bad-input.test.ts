// The contract of every command on bad input, through the real command (a
// spawned `node host/bin/pindai.js`): exit 1 when something tried failed (a
// file, a folder, a port, a device), 2 for usage, one line on stderr that
// names the problem, no stack trace, no hang, memory bounded. Inputs that are not
// regular files (a folder, /dev/zero, a FIFO without a writer, a 1.5 GB
// sparse file, a PNG whose header claims 10000x10000 pixels) are refused
// before any reading or decoding; outputs that cannot be written (a folder,
// a missing folder, /dev/full) are one sentence.
import { describe, expect, it, beforeAll } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, openSync, closeSync, ftruncateSync, mkdirSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { runCli } from "./support/cli";
import { haveTool } from "./support/tools";
import { parseBuildFile } from "../host/build/config";

const dir = mkdtempSync(join(tmpdir(), "pindai-bad-"));
const f = (name: string) => join(dir, name);
const BIN = join(process.cwd(), "host/bin/pindai.js");
/** Far above a refusal's time (about 1 s on a loaded 2-core machine); a hang or a decode of 10^8 pixels crosses it. */
const LIMIT_MS = 60_000; // a machine ten times oversubscribed took 20 s for one refusal

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  ms: number;
}

/** The real command, in its own process, with a deadline; stdout may go to a file (/dev/full). */
function pindai(args: string[], o: { input?: string; stdoutFile?: string; cmd?: string[] } = {}): Promise<Run> {
  const t0 = Date.now();
  const outFd = o.stdoutFile ? openSync(o.stdoutFile, "w") : undefined;
  const argv = o.cmd ?? ["node", BIN];
  const child = spawn(argv[0], [...argv.slice(1), ...args], {
    cwd: dir,
    stdio: ["pipe", outFd ?? "pipe", "pipe"],
    env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=512" },
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  child.stdin!.end(o.input ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), LIMIT_MS);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (outFd !== undefined) closeSync(outFd);
      resolve({ code, signal, out, err, ms: Date.now() - t0 });
    });
  });
}

/** Runs many at once, `n` at a time: the table costs a few spawns' time, not one per case. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]);
      }
    }),
  );
  return results;
}

/** A PNG that is only a signature and an IHDR chunk claiming width x height. */
function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const type = Buffer.from("IHDR");
  const len = Buffer.alloc(4);
  len.writeUInt32BE(13);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, ihdr])) >>> 0);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), len, type, ihdr, crc]);
}

function expectContract(r: Run, what: string, code = 2): void {
  const lines = r.err.split("\n").filter((l) => l !== "");
  expect(r.signal, `${what}: killed after ${r.ms} ms (a hang or runaway memory)`).toBeNull();
  expect(r.code, `${what}: ${r.err}`).toBe(code);
  expect(lines.length, `${what}: stderr should be one line:\n${r.err}`).toBe(1);
  expect(lines[0], what).toMatch(/^pindai( [a-z-]+)?: \S/);
  expect(r.err, what).not.toMatch(/\n\s+at |Error: |ERR_|node:internal|undefined/);
  expect(r.ms, what).toBeLessThan(LIMIT_MS);
}

const root = f("root.json");
const ks = f("ks.cbor");
const qr = f("qr.json");
const TEXT = "PD1:XYZ";
/** The stderr of the table row that starts with `start`. */
const errOf = (table: string[][], results: Array<{ err: string }>, start: string) =>
  results[table.findIndex((a) => a.join(" ").startsWith(start))].err;

/** A process's resident memory in MB (Linux /proc). */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

const ID = ["--nik", "3201014512900001", "--name", "Siti Aminah", "--dob", "1990-12-05", "--sex", "P"];

describe("every command survives bad input (spawned, exit 1 or 2, one line, bounded)", () => {
  beforeAll(async () => {
    for (const [usage, name] of [["root", "root.json"], ["qr", "qr.json"], ["card", "card-key.json"]]) {
      expect((await runCli("keygen", "--usage", usage, "--out", f(name))).code).toBe(0);
    }
    const ks = await runCli("keyset", "--root", f("root.json"), "--version", "1", "--key", f("qr.json"), "--key", f("card-key.json"), "--out", f("ks.cbor"));
    expect(ks.code, ks.err).toBe(0);
    expect((await runCli("card", "personalize", "--key", f("card-key.json"), "--serial", "KTP-1", ...ID, "--out", f("card.json"))).code).toBe(0);
    mkdirSync(f("folder"));
    expect(spawnSync("mkfifo", [f("fifo")]).status).toBe(0);
    const big = openSync(f("big.bin"), "w"); // 1.5 GB, sparse: costs no disk, only a stat tells its size
    ftruncateSync(big, 1.5 * 1024 ** 3);
    closeSync(big);
    writeFileSync(f("huge.png"), pngHeader(10000, 10000));
    // A JPEG start and a baseline frame header (SOF0) claiming 10000x10000, 3 components.
    writeFileSync(f("huge.jpg"), Buffer.from("ffd8ffc0001108271027100301220002110103110100", "hex"));
    writeFileSync(f("cut.png"), Buffer.concat([pngHeader(100, 100), Buffer.from("IDAT")])); // cut short: pngjs's own words were "read requests waitng on finished stream"
    writeFileSync(f("bogus.json"), '{"bogus": true}');
    writeFileSync(f("notjson.json"), "{roots: [");
    writeFileSync(f("quit.txt"), "quit\n");
    writeFileSync(f("garbage.bin"), Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x0a, 0x00, 0x07, 0x1b, 0x5d, 0x30, 0x3b, 0x78, 0x07, 0x0a, 0xff, 0xfe, 0x0a]));
    writeFileSync(f("img.js"), "print(1)\n"); // an image file that reads; the port fails first
    expect((await runCli("pubkey", f("qr.json"), "--out", f("qr.pub.json"))).code).toBe(0);
  });

  it("the table: folders, missing folders, /dev/zero, /dev/full, FIFOs, huge files, /proc, ports, tcp://, bad values", async () => {
    // [exit status, ...arguments]: 1 something tried failed (a file, a folder, a port), 2 usage (pindai --help).
    const table: Array<[1 | 2, ...string[]]> = [
      // outputs that cannot be written
      [1, "keyset", "--root", root, "--version", "1", "--key", qr, "--out", f("folder")],
      [1, "keyset", "--root", root, "--version", "1", "--key", qr, "--out", f("missing/ks.cbor")],
      [1, "keyset", "--root", root, "--version", "1", "--key", qr, "--out", "/dev/full"],
      [1, "issue", "--key", qr, ...ID, "--qr", f("folder")],
      [1, "issue", "--key", qr, ...ID, "--qr", f("missing/qr.png")],
      [1, "issue", "--key", qr, ...ID, "--qr", "/dev/full"],
      [1, "card", "personalize", "--key", f("card-key.json"), "--serial", "S", ...ID, "--out", f("folder")],
      [1, "card", "personalize", "--key", f("card-key.json"), "--serial", "S", ...ID, "--out", "/dev/full"],
      [2, "keygen", "--usage", "qr", "--out", f("folder"), "--force"], // --out names a folder: not what the option takes
      [1, "keygen", "--usage", "qr", "--out", f("missing/k.json")],
      [1, "pubkey", qr, "--out", f("folder")],
      [1, "keyset", "--root", root, "--version", "1", "--key", qr, "--out", f("fifo")],
      // folders: made only where the option says, never by a loop (Node's recursive mkdir spins on /proc)
      [1, "sim", "--write-keys", "/proc/x"],
      [1, "sim", "--write-keys", f("missing/keys")],
      [1, "run", "--root", root, "--flash", "/proc/x"],
      [1, "run", "--root", root, "--flash", f("missing/flash")],
      [1, "run", "--root", root, "--flash", f("runflash"), "--screen", "png", "/proc/x"],
      [1, "run", "--root", root, "--flash", f("runflash2"), "--screen", "png", f("missing/png")],
      // inputs that are not regular files, or too large, or not what they claim
      [1, "verify", "--root", f("folder"), "--keyset", ks, TEXT],
      [1, "verify", "--root", "/dev/zero", "--keyset", ks, TEXT],
      [1, "verify", "--root", f("fifo"), "--keyset", ks, TEXT],
      [1, "verify", "--root", root, "--keyset", "/dev/zero", TEXT],
      [1, "verify", "--root", root, "--keyset", f("big.bin"), TEXT],
      [1, "verify", "--root", root, "--keyset", ks, "--image", "/dev/zero"],
      [1, "verify", "--root", root, "--keyset", ks, "--image", f("big.bin")],
      [2, "verify", "--root", root, "--keyset", ks, "--image", f("huge.png")],
      [2, "verify", "--root", root, "--keyset", ks, "--image", f("cut.png")],
      [1, "flash-lua", "--port", "/nonexistent", "--image", "/dev/zero"],
      [1, "flash", "--port", "/nonexistent", "--image", f("folder")],
      [1, "card", "read", "--port", "/nonexistent", "--root", f("folder"), "--keyset", ks],
      [1, "issue", "--key", "/dev/zero", ...ID],
      [1, "issue", "--key", f("big.bin"), ...ID],
      [1, "emulate", "pn532", "--card", f("fifo")],
      [2, "emulate", "pn532", "--card", f("bogus.json")],
      [1, "sim", "--script", "/dev/zero"],
      [1, "sim", "--script", f("fifo")],
      [2, "sim", "--script", f("garbage.bin")], // binary: refused whole, no control byte echoed
      [1, "sim", "--flash", f("folder"), "--script", f("quit.txt")],
      [1, "sim", "--flash", "/dev/null", "--script", f("quit.txt")],
      [2, "sim", "--flash", f("bogus.json"), "--script", f("quit.txt")],
      [1, "sim", "--flash", f("missing/flash.json"), "--script", f("quit.txt")],
      // ports that cannot be opened: exit 1 in every command
      [1, "card", "read", "--port", "/nonexistent", "--root", root, "--keyset", ks],
      [1, "card", "read", "--port", f("folder")],
      [1, "sim", "--scan-port", "/nonexistent", "--script", f("quit.txt")],
      [1, "sim", "--admin-port", f("folder"), "--script", f("quit.txt")],
      [1, "run", "--root", root, "--flash", f("runflash3"), "--scan-port", "/nonexistent"],
      [1, "device", "id", "--port", "/nonexistent"],
      [1, "flash", "--port", "/nonexistent", "--image", f("img.js")],
      [1, "flash-lua", "--port", "/nonexistent", "--image", f("img.js")],
      // tcp:// for flash: a refused port and an unknown host named at once; a malformed URL is usage
      [1, "flash", "--port", "tcp://127.0.0.1:1", "--image", f("img.js")],
      [1, "flash", "--port", "tcp://no-such-host.invalid:2323", "--image", f("img.js")],
      [2, "flash", "--port", "tcp://", "--image", f("img.js")],
      [2, "flash", "--port", "tcp://127.0.0.1:99999", "--image", f("img.js")],
      [1, "device", "id", "--port", "tcp://127.0.0.1:1"],
      // a value error, usage errors, through the real command too
      [2, "issue", "--key", qr, ...ID, "--iat", "9".repeat(400)],
      [2, "card"],
      [2, "device", "id", "--port", "/nonexistent", "extra"],
      [2, "completion", "fish"],
    ];
    const results = await pool(table, 3, ([, ...args]) => pindai(args));
    table.forEach(([code, ...args], i) => expectContract(results[i], args.join(" ").slice(0, 160), code));
    // The refusals say what to do, in plain words.
    const rows = table.map(([, ...args]) => args);
    const byArgs = (start: string) => errOf(rows, results, start);
    expect(byArgs("verify --root " + root + " --keyset " + ks + " --image " + f("huge.png"))).toContain("100000000 pixels");
    expect(byArgs("card read --port /nonexistent --root " + root)).toContain("no such port");
    expect(byArgs("verify --root " + root + " --keyset " + ks + " --image " + f("cut.png"))).toContain("the PNG file is damaged or cut short");
    expect(byArgs("flash --port tcp://127.0.0.1:1 ")).toContain("the connection was refused");
    expect(byArgs("flash --port tcp://no-such-host.invalid")).toMatch(/unknown host|could not be looked up/);
    expect(byArgs("flash --port tcp://127.0.0.1:99999")).toContain("1 to 65535");
    expect(byArgs("flash --port /nonexistent --image " + f("img.js"))).toContain("no such port");
    expect(byArgs("device id --port tcp://127.0.0.1:1")).toContain("the connection was refused");
    expect(byArgs("sim --write-keys /proc/x")).toMatch(/^pindai sim: cannot make the folder \/proc\/x: /);
    expect(byArgs("sim --write-keys " + f("missing"))).toContain("does not exist");
    expect(byArgs("run --root " + root + " --flash " + f("missing"))).toContain("does not exist");
    expect(byArgs("device id --port /nonexistent extra")).toContain('unexpected argument "extra"');
    const garbage = results[rows.findIndex((a) => a.includes(f("garbage.bin")))];
    expect(garbage.out + garbage.err).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(existsSync(f("missing"))).toBe(false); // no parent folder made behind the user's back
    for (const r of results) expect(r.err).not.toMatch(/E[A-Z]{3,}\b|BindingsError|Unexpected token/); // no raw errno, serialport or parser text
  }, 600_000);

  it("values a device would refuse, bad times and usage errors: exit 2 with the limit or the fix (in-process: the same main())", async () => {
    const table: string[][] = [
      // what the verifier would refuse, refused by the issuer tools with the limit
      ["issue", "--key", qr, ...ID, "--pob", "x".repeat(101)],
      ["issue", "--key", qr, ...ID, "--name", "y".repeat(101)],
      ["issue", "--key", qr, ...ID, "--ttl", "301"],
      ["card", "personalize", "--key", f("card-key.json"), "--serial", "S", ...ID, "--pob", "x".repeat(101), "--out", f("c2.json")],
      ["keyset", "--root", root, "--version", "1", "--key", qr, "--out", f("k2.cbor"), ...Array.from({ length: 1025 }, (_, i) => `--revoke=${i.toString(16).padStart(16, "0")}`)],
      ["keyset", "--root", root, "--version", "1", "--key", qr, "--out", f("k2.cbor"), "--revoke", "00"],
      // times
      ["issue", "--key", qr, ...ID, "--iat", "0"],
      ["issue", "--key", qr, ...ID, "--iat=-5"],
      ["keygen", "--usage", "qr", "--out", f("k3.json"), "--nbf", "2030-02-30"],
      ["keyset", "--root", root, "--version", "1", "--key", qr, "--out", f("k2.cbor"), "--replay", "constructor"],
      ["verify", "--root", root, "--keyset", ks, "--image", f("huge.jpg")], // refused from the frame header, before decoding
      ["issue", "--key", f("qr.pub.json"), ...ID], // a public key file: no secret to sign with
      ["verify", "--root", root, "--keyset", ks, "--at", "-5", TEXT],
      // usage
      ["card"],
      ["emulate"],
      ["frobnicate"],
      ["verify", "--bogus"],
    ];
    const results = await Promise.all(table.map((args) => runCli(...args)));
    table.forEach((args, i) => {
      const what = args.join(" ").slice(0, 160);
      expect(results[i].code, `${what}: ${results[i].err}`).toBe(2);
      expect(results[i].err.split("\n"), what).toEqual([expect.stringMatching(/^pindai( [a-z-]+)?: \S/)]);
    });
    const byArgs = (start: string) => errOf(table, results, start);
    expect(byArgs("verify --root " + root + " --keyset " + ks + " --at -5")).toContain("--at=-5");
    expect(byArgs("issue --key " + qr + " " + ID.join(" ") + " --pob")).toContain("at most 100 characters");
    expect(byArgs("keyset --root " + root + " --version 1 --key " + qr + " --out " + f("k2.cbor") + " --revoke=")).toContain("at most 1024");
    expect(byArgs("issue --key " + qr + " " + ID.join(" ") + " --iat 0")).toContain("outside the years 2000 to 2106");
    expect(byArgs("issue --key " + f("qr.pub.json"))).toMatch(/holds no secret key/); // and no window warning before it
    expect(byArgs("verify --root " + root + " --keyset " + ks + " --image " + f("huge.jpg"))).toMatch(/larger than 16777216 pixels/);
  });

  it("a code signed outside its key's window is made, with a warning that devices will say KEY_NOT_VALID", async () => {
    const r = await runCli("issue", "--key", f("qr.json"), ...ID, "--iat", "2001-01-01");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^PD1:/);
    expect(r.err).toMatch(/^warning: --iat 2001-01-01T00:00:00Z is outside the validity window of .*qr\.json .*KEY_NOT_VALID$/);
  });

  it("the simulator's png FILE with a bad path is an error line in the script, and the simulator goes on", async () => {
    writeFileSync(f("png.txt"), `png ${f("missing/s.png")}\npng ${f("folder")}\nphone\nexpect OK\npng ${f("ok.png")}\n`);
    const r = await runCli("sim", "--script", f("png.txt"));
    expect(r.code).toBe(1); // two failed commands, reported as such
    expect(r.out).toContain(`error: cannot write screen PNG ${f("missing/s.png")}: no such file or folder`);
    expect(r.out).toContain(`error: cannot write screen PNG ${f("folder")}: it is a folder, not a file`);
    expect(r.out).toContain("ok: OK");
    expect(readFileSync(f("ok.png")).subarray(1, 4).toString()).toBe("PNG");
  });

  it("text lost to a full disk is not success: issue > /dev/full exits non-zero with one line", async () => {
    const r = await pindai(["issue", "--key", f("qr.json"), ...ID], { stdoutFile: "/dev/full" });
    expectContract(r, "issue > /dev/full", 1);
    expect(r.err).toContain("no space left");
  });

  it("a build config that is not JSON, or names an unknown key, is one line and exit 2 before any build", async () => {
    const tsx = [join(process.cwd(), "node_modules/.bin/tsx"), join(process.cwd(), "host/build/build.ts")];
    writeFileSync(f("typo.json"), JSON.stringify({ roots: [], langg: "id" }));
    for (const [cfg, says, code] of [[f("notjson.json"), "is not JSON", 2], [f("typo.json"), "langg: unknown key", 2], [f("fifo"), "not a regular file", 1]] as const) {
      const r = await pindai(["--config", cfg, "--out", f("dist")], { cmd: tsx });
      expect(r.code, r.err).toBe(code);
      expect(r.err.trim().split("\n")).toEqual([expect.stringContaining(says)]);
    }
    // --out: a file is usage (one plain line, no ENOTDIR); /proc is a folder that cannot be made (no loop); a missing parent is not made.
    for (const [out, says, code] of [[f("quit.txt"), "is a file: give a folder", 2], ["/proc/x", "no new folders can be made in /proc", 1], [f("missing/dist"), "does not exist", 1]] as const) {
      const r = await pindai(["--out", out], { cmd: tsx });
      expect(r.signal, `${out}: killed (a loop)`).toBeNull();
      expect(r.code, r.err).toBe(code);
      expect(r.err.trim().split("\n")).toEqual([expect.stringContaining(says)]);
      expect(r.err).not.toMatch(/ENOTDIR|ENOENT|\n\s+at /);
    }
  }, 120_000);

  it("- is standard output wherever a file is written: keygen --out -, keyset --out -, pubkey --out - (no file named -)", async () => {
    const key = await pindai(["keygen", "--usage", "qr", "--out", "-"]);
    expect(key.code, key.err).toBe(0);
    expect(JSON.parse(key.out).secretKey).toMatch(/^[0-9a-f]{64}$/);
    expect(key.err).toMatch(/^wrote -: qr key, kid [0-9a-f]{16}\n$/);
    const pub = await pindai(["pubkey", qr, "--out", "-"]);
    expect(pub.code, pub.err).toBe(0);
    expect(JSON.parse(pub.out).secretKey).toBeUndefined();
    const set = await pindai(["keyset", "--root", root, "--version", "1", "--key", qr, "--out", "-"]);
    expect(set.code, set.err).toBe(0);
    expect(set.out.length).toBeGreaterThan(100); // the signed CBOR
    expect(existsSync(join(dir, "-"))).toBe(false);
  });

  it("a flooding tcp:// peer is cut off: flash exits 1 with one line, memory bounded", async () => {
    const { createServer } = await import("node:net");
    const { randomBytes } = await import("node:crypto");
    const junk = randomBytes(1 << 16);
    const server = createServer((sock) => {
      sock.on("error", () => {});
      const pour = () => {
        while (!sock.destroyed && sock.write(junk));
        if (!sock.destroyed) sock.once("drain", pour);
      };
      pour();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as { port: number }).port;
      const r = await pindai(["flash", "--port", `tcp://127.0.0.1:${port}`, "--image", f("img.js")]);
      expectContract(r, "flash from a flooding peer", 1);
      // Cut off by the flood guard, or refused first because the junk answers no probe: one line either way.
      expect(r.err).toMatch(/sent more than|no Espruino answered/);
    } finally {
      server.close();
    }
  }, 60_000);

  it("a reader that does not read: sim < /dev/urandom | (no reader) stays bounded, and ends when the reader goes", async () => {
    const input = openSync("/dev/urandom", "r");
    const child = spawn("node", [BIN, "sim"], { cwd: dir, stdio: [input, "pipe", "ignore"] });
    closeSync(input);
    child.stdout!.pause(); // never read: the pipe fills
    try {
      await new Promise((r) => setTimeout(r, 10_000));
      expect(rssMb(child.pid!), "MB resident after 10 s of input with no reader").toBeLessThan(250);
      const exited = new Promise((r) => child.once("close", r));
      child.stdout!.destroy(); // the reader goes: the simulator stops, it does not read on for ever
      await Promise.race([exited, new Promise((_, rej) => setTimeout(() => rej(new Error("sim went on after its reader left")), 60_000))]);
    } finally {
      child.kill("SIGKILL");
    }
  }, 120_000);

  it.runIf(haveTool("socat"))("sim --admin-port: a peer that floods and never reads does not grow the simulator", async () => {
    // socat -u: the requests reach the simulator and its answers are never read (no relay to stall).
    const { openOneWayPty } = await import("../sim/pty");
    const pty = await openOneWayPty();
    const child = spawn("node", [BIN, "sim", "--admin-port", pty.path], { cwd: dir, stdio: ["pipe", "ignore", "ignore"] });
    const { randomBytes } = await import("node:crypto");
    const lines = Buffer.from(Array.from({ length: 2000 }, () => "ID\n" + randomBytes(40).toString("hex") + "\n").join("")); // answered lines and junk
    const WANT = 48 * 1048576; // kept, their answers would take several times this
    try {
      await new Promise((r) => setTimeout(r, 3000)); // the simulator opens the port
      const before = rssMb(child.pid!);
      const poured = await pty.pour(lines, WANT, 90_000, () => child.exitCode === null);
      const after = rssMb(child.pid!);
      console.log(`sim admin flood: ${(poured / 1048576).toFixed(1)} MB never read; ${before.toFixed(0)} -> ${after.toFixed(0)} MB resident`);
      expect(poured, "bytes the simulator took").toBeGreaterThanOrEqual(WANT);
      expect(after - before, "MB grown under a peer that never reads").toBeLessThan(WANT / 1048576 / 2);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill("SIGKILL");
      pty.close();
    }
  }, 120_000);

  it("the example build config passes the config check and names every top-level key", () => {
    const cfg = parseBuildFile(readFileSync("examples/agency-build.json", "utf8"), "examples/agency-build.json");
    expect(Object.keys(cfg).sort()).toEqual(["cardPollMs", "clearAfterMs", "espruino", "lang", "lua", "roots", "version"]);
  });
});
