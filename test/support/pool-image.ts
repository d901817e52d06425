// The Espruino image as it is flashed, on an Espruino with a fixed pool of
// variables (ESPRUINO_POOL: Espruino for Linux built 32-bit with, say, a
// Pico's 5,100 or a Puck.js's 2,630 variables; 13-byte variables as on those
// boards). The normal Espruino (ESPRUINO) writes Storage as `pindai flash`
// leaves it (the image file and the one-line .bootcde loader); the pool
// binary then boots from it, so code and strings stay in the flash file as
// they stay in a board's memory-mapped flash. Provisioned with the host tool
// over its admin line, scanned from a scan engine on a pty. Memory is read
// through a signed UNLOCK (the REPL back on the admin line), so each figure
// is taken in a boot of its own: after provisioning, the tables and two
// scans, then after booting again with all of it in flash. (The screen goes to the console, which the image
// locks: verdicts are read from the signed audit log.)
import { type ChildProcess, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { build } from "../../host/build/build";
import { DeviceClient, streamLink, type LineLink } from "../../host/issuer/device-client";
import { issuePresentation } from "../../host/issuer/issuer";
import { BOOT_FILE, BOOT_LOADER, IMAGE_FILE, espruinoStorageFiles } from "../../host/src/flash-espruino";
// @ts-expect-error plain JS build step
import { LOW_FREE } from "../../host/build/espruino-parts.js";
import { AuditLog } from "../../firmware/app/audit-log";
import { crc32 } from "../../firmware/core/crc32";
import { nodeRandom } from "../../firmware/targets/node/random";
import { SimFlash } from "../../sim/flash";
import { openPtyPair, writePaced } from "../../sim/pty";
import { HOLDER, makeWorld } from "../../sim/world";
import { killChild, spawnChild } from "./children";

export interface PoolMemory {
  usage: number;
  total: number;
  flags: string[];
}

/** Variables in use on the first boot, sampled by the image's own process.memory() once a second (between events). */
export interface PoolUsage {
  /** Booted, the admin line answering, nothing installed yet. */
  boot: number;
  /** After KEYSET and a signed TIME (the admin part dropped again where it is dropped). */
  provisioned: number;
  /** The highest sample while two codes were scanned and the LOG read (a timer sees no peak inside a verification). */
  scans: number;
}

export interface PoolImageRun {
  usage: PoolUsage;
  /** After the key set, the time, the tables and two scans. */
  after: PoolMemory;
  /** In use after a boot with the key set and tables in flash, with the pool's size. */
  boot: PoolMemory;
  /** This run's audit records as the host tool reads them (the screen is not on the locked console), after a full log. */
  log: string[];
  /** The records the device's STATUS counts then (the full log it started with stays full). */
  logCount: number;
  /** Each step and the seconds it took (Espruino for Linux reads Storage slowly; a loaded machine slower). */
  steps: string[];
  /**
   * With `demand`: for each step, the most variables in use (after a collection) at any
   * part's load or last return, with every part dropped as soon as its last call returns
   * (as on a board short of variables): what the step needs of a pool, at the part
   * boundaries (a verification's own peak between them is not seen, so a lower bound).
   */
  demand?: Record<string, number>;
  /** With `demand`: the parts loaded at each step's highest trace point (the part loader's names: "curve,kss,adm"). */
  demandParts?: Record<string, string>;
}

/**
 * The flashed image's loader, for a demand run: every part dropped when its last call
 * returns (not only where fewer than 1,500 are free), and the variables in use, collected,
 * written to `trace` at each part's load and at each last return. Throws if the loader's
 * text is not what this expects (host/build/espruino-parts.js).
 */
export function demandImage(image: string, trace: string): string {
  const write = `var $T=function(){var f=E.openFile(${JSON.stringify(trace)},"a");f.write(process.memory().usage+" "+Object.keys($P).join(",")+"\\n");f.close()};`;
  const edits: Array<[string, string]> = [
    [`process.memory(false).free<${LOW_FREE}`, "process.memory(false).free<1e9"],
    ["$P[$n]=1}", "$P[$n]=1;$T()}"],
    ["function $x($n){", "function $x($n){$T();"],
    ["var $P=", write + "var $P="],
  ];
  let out = image;
  for (const [from, to] of edits) {
    if (out.split(from).length !== 2) throw new Error(`demand run: the image's loader has no single "${from}"`);
    out = out.replace(from, to);
  }
  return out;
}

/** An answer's deadline: a signed answer is an Ed25519 signature in portable JavaScript, on a 2-core machine shared with other jobs. */
const ANSWER_MS = 300_000;

/** Records in the full log the device starts with: its rings' capacity, 256 verdicts and 32 runs. */
const FULL_LOG_RECORDS = 288;

/** The audit rings' page files of a full log made at `time` (the device's own format: app/audit-log.ts), by name. */
function fullAuditLog(time: number): Array<[string, Uint8Array]> {
  const flash = new SimFlash();
  const log = new AuditLog(flash, nodeRandom, 256, "audit");
  for (let i = 0; i < 256; i++) {
    if (i % 8 === 0) log.append(time + i, 0, { verdict: "NOT_A_CREDENTIAL", warnings: [] }); // a run, written when the verdict ends it
    log.append(time + i, 0, { verdict: "OK", warnings: [], kid: "0102030405060708", nik: "3201014512900001" });
  }
  if (log.entries().length !== FULL_LOG_RECORDS) throw new Error("the full log holds " + log.entries().length + " records");
  // The rings' pages only: the device keeps its own NIK secret.
  return Object.keys(flash.files)
    .filter((n) => /^audit\.(run\.)?\d+$/.test(n))
    .map((n) => [n, flash.files[n]] as [string, Uint8Array]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One boot of the flashed image on the pool binary, its console on pipes. */
class Boot {
  readonly proc: ChildProcess;
  out = "";
  readonly link: LineLink;
  constructor(pool: string, dir: string) {
    this.proc = spawnChild(pool, [], { cwd: dir, stdio: ["pipe", "pipe", "ignore"] });
    this.proc.stdout!.on("data", (d: Buffer) => (this.out += d.toString("latin1")));
    const raw = streamLink((t) => this.proc.stdin!.write(t), (fn) => this.proc.stdout!.on("data", fn), async () => {}, ANSWER_MS, "espruino (pool)");
    // Every request waits ANSWER_MS, the signed ones too (the host tool gives those 60 s).
    this.link = { request: (line) => raw.request(line, ANSWER_MS), close: () => raw.close() };
  }
  async waitFor(re: RegExp, from: number, ms: number): Promise<RegExpExecArray> {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
      const m = re.exec(this.out.slice(from));
      if (m) return m;
    }
    throw new Error(`waited ${ms} ms for ${re}; Espruino printed: ${JSON.stringify(this.out.slice(-600))}`);
  }
  /** Memory through the REPL a signed UNLOCK gives back; the admin line is gone after it. */
  async memory(client: DeviceClient): Promise<PoolMemory> {
    must(await client.unlock(), "UNLOCK");
    const from = this.out.length;
    // Asked again until answered: a line that comes while UNLOCK's reset() runs is not read.
    const ask = () => this.proc.stdin!.write('\x10var m=process.memory();print("<mem "+m.usage+" "+m.total+" "+JSON.stringify(E.getErrorFlags())+">")\n');
    ask();
    const again = setInterval(ask, 3000);
    const m = await this.waitFor(/<mem (\d+) (\d+) (\[[^\]]*\])>/, from, 30_000).finally(() => clearInterval(again));
    return { usage: Number(m[1]), total: Number(m[2]), flags: JSON.parse(m[3]) as string[] };
  }
  close(): void {
    killChild(this.proc);
  }
}

function must(got: string, want: string): void {
  if (got !== want) throw new Error(`expected ${want}, got ${got}`);
}

/** Flash, boot, provision, scan; `big` is the normal Espruino that writes Storage, `pool` the one measured. */
export async function runImageOnPool(big: string, pool: string, o: { demand?: boolean } = {}): Promise<PoolImageRun> {
  const now = Math.floor(Date.now() / 1000);
  const world = makeWorld(now, 2, "pool");
  const dir = mkdtempSync(join(tmpdir(), "pindai-pool-"));
  const link = await openPtyPair();
  const scanner = new SerialPort({ path: link.b, baudRate: 9600 });
  let boot: Boot | undefined;
  const steps: string[] = [];
  let last = Date.now();
  const trace = join(dir, "demand.log");
  /** Each trace line: the variables in use and the parts loaded then. */
  const traced = () => (existsSync(trace) ? readFileSync(trace, "latin1").split("\n").filter((l) => l !== "").map((l) => l.split(" ")) : []);
  const demand: Record<string, number> = {};
  const demandParts: Record<string, string> = {};
  let traceFrom = 0;
  const step = (what: string) => {
    steps.push(`${what} ${((Date.now() - last) / 1000).toFixed(0)} s`);
    last = Date.now();
    if (o.demand) {
      const t = traced();
      let most: string[] = ["0", ""];
      for (const x of t.slice(traceFrom)) if (Number(x[0]) > Number(most[0])) most = x;
      demand[what] = Number(most[0]);
      demandParts[what] = most[1] ?? "";
      traceFrom = t.length;
    }
  };
  try {
    process.env.SOURCE_DATE_EPOCH = String(now - 3600); // built before the clock is set
    let espruinoImage: string;
    try {
      espruinoImage = (
        await build(
          {
            roots: [Buffer.from(world.roots[0].publicKey).toString("hex")],
            version: "pool",
            // What Espruino for Linux has: a scan engine on Serial1 (a pty), no reader, no LED pins.
            // The SSD1306 driver as a board carries it (Espruino for Linux's I2C1 takes the writes).
            espruino: {
              scanEngine: { port: "Serial1", baud: 9600, path: link.a }, reader: null, ledGreen: null, ledRed: null,
              display: { type: "ssd1306", sda: "D4", scl: "D5" },
            },
          },
          join(dir, "dist"),
          () => {},
        )
      ).espruino;
    } finally {
      delete process.env.SOURCE_DATE_EPOCH;
    }
    // Storage as pindai flash leaves it: the image's parts, pindai.img and the boot loader, each checked by its CRC-32.
    const files = espruinoStorageFiles(readFileSync(espruinoImage, "latin1"));
    if (o.demand) for (const f of files) if (f.name === IMAGE_FILE) f.data = demandImage(f.data, trace);
    const lines = ['require("Storage").eraseAll();'];
    // A full audit log from an earlier day (256 verdicts and 32 runs, the rings' capacity): LOG,
    // STATUS and the boot's clock floor must read it without holding it (a board could not).
    for (const [name, bytes] of fullAuditLog(now - 86_400)) lines.push(`require("Storage").write(${JSON.stringify(name)},atob(${JSON.stringify(Buffer.from(bytes).toString("base64"))}));`);
    for (const f of files) {
      for (let off = 0; off < f.data.length; off += 512) {
        lines.push(`require("Storage").write(${JSON.stringify(f.name)},${JSON.stringify(f.data.slice(off, off + 512))},${off},${f.data.length});`);
      }
      lines.push(`print("<stored ${f.name} "+E.CRC32(require("Storage").read(${JSON.stringify(f.name)}))+">");`);
    }
    // Before the boot loader, the one addition to what pindai flash writes: a sampler of the
    // variables in use and Espruino's error flags, a file line a second (its function and timer
    // cost about 10 variables). The console is the admin line's, so a boot that runs out of
    // memory says so only here (set first, it runs even when evaluating the image fails).
    const usageLog = join(dir, "usage.log");
    const probe = `setInterval(function(){var f=E.openFile(${JSON.stringify(usageLog)},"a");f.write(process.memory().usage+" "+E.getErrorFlags()+"\\n");f.close()},1000);`;
    lines.push(`require("Storage").write(${JSON.stringify(BOOT_FILE)},${JSON.stringify(probe + BOOT_LOADER)});quit();`);
    writeFileSync(join(dir, "setup.js"), lines.join("\n") + "\n");
    const s = spawnSync(big, ["setup.js"], { cwd: dir, encoding: "latin1", timeout: 120_000, killSignal: "SIGKILL" });
    // The same check pindai flash makes: the CRC-32 of what Storage holds is each file's.
    for (const f of files) {
      const stored = new RegExp(`<stored ${f.name.replace(".", "\\.")} (-?\\d+)>`).exec(s.stdout);
      const bytes = Buffer.from(f.data, "latin1");
      if (!stored || Number(stored[1]) >>> 0 !== crc32(bytes, 0, bytes.length)) throw new Error(`writing ${f.name} to Storage failed: ` + s.stdout.slice(-300));
    }
    if (!files.some((f) => f.name === IMAGE_FILE)) throw new Error("the image has no " + IMAGE_FILE);

    /** The samples so far (the file grows while the image runs). */
    const sampled = () => (existsSync(usageLog) ? readFileSync(usageLog, "latin1").split("\n").filter((l) => l !== "") : []);
    const samples = () => sampled().map((l) => Number(l.split(" ")[0]));
    /** The error flags the sampler read (reading them clears them) from line `from` on, with those read at the end. */
    const flagsSince = (from: number, last: string[]) => [...new Set([...sampled().slice(from).flatMap((l) => l.split(" ")[1]?.split(",") ?? []).filter((f) => f !== ""), ...last])];
    /**
     * A step's answer; running out of memory on the way (a sampler's line from `from` on) fails
     * at once, saying in which step (a request the device dropped would otherwise wait out
     * ANSWER_MS, 5 minutes).
     */
    const watched = async <T>(what: string, work: () => Promise<T>, from = sampled().length): Promise<T> => {
      let done = false;
      const watch = async (): Promise<T> => {
        for (; !done; await sleep(500)) {
          const bad = sampled().slice(from).find((l) => /MEMORY/.test(l));
          if (bad !== undefined) throw new Error(`out of memory ${what}: "${bad}" (variables in use, error flags) in the sampler's log`);
        }
        return undefined as T;
      };
      try {
        return await Promise.race([work(), watch()]);
      } finally {
        done = true;
      }
    };
    /** VERSION's answer once booted (the sampler's lines from `from` on: its first ones come before VERSION is asked). */
    const booted = (c: DeviceClient, from: number) => watched("while booting", () => c.version(), from);
    const lastSample = async () => {
      const n = samples().length;
      for (let i = 0; i < 100 && samples().length <= n; i++) await sleep(500); // the next one, taken after the answer
      const all = samples();
      return all[all.length - 1];
    };

    // Boot 1: provisioned, the tables made, a fresh code and the same code again.
    boot = new Boot(pool, dir);
    let client = new DeviceClient(boot.link, world.adminKey);
    must(await booted(client, 0), "pindai pool");
    step("boot");
    const usageBoot = await lastSample();
    must(await watched("at KEYSET", () => client.installKeyset(world.keysetBytes)), "INSTALLED 1");
    step("KEYSET");
    const t = Math.floor(Date.now() / 1000);
    must(await watched("at TIME", () => new DeviceClient(boot!.link, world.rootKey).setTime(t)), `TIME ${t}`); // an untrusted clock takes a root's TIME
    step("TIME");
    const usageProvisioned = await lastSample();
    await sleep(8000); // the base point's and the two keys' tables (about 1 s each on x86), where the pool has room for them
    // Issued now: a device slowed by the machine's load still gets it well within its 90 s.
    const code = issuePresentation(world.qrSigner, HOLDER, { iat: Math.floor(Date.now() / 1000) });
    const scansFrom = samples().length;
    // Each line waits for the one before it to be done: the sampler's timer runs only while the
    // device is idle, so two fresh samples say the verification has ended (a pool too small for
    // the tables verifies in the portable path, many seconds on this interpreter).
    const idle = async () => {
      await sleep(1000);
      const n = samples().length;
      for (let i = 0; i < 600 && samples().length < n + 2; i++) await sleep(500);
    };
    for (let i = 0; i < 2; i++) {
      await writePaced(scanner, code + "\r\n");
      await watched("at a scan", idle);
      await writePaced(scanner, "hello\r\n"); // another line between: the same code still on screen is one verdict
      await watched("at a scan", idle);
    }
    const log = (await watched("at LOG", () => client.logs(undefined, FULL_LOG_RECORDS + 1))).map((r) => r.verdict + " " + r.source); // this run's records
    const logCount = (await watched("at STATUS", () => client.status())).logCount;
    step("two scans, LOG");
    await lastSample();
    const usageScans = Math.max(...samples().slice(scansFrom));
    const read = await boot.memory(client);
    const after = { ...read, flags: flagsSince(0, read.flags) };
    boot.close();
    const secondFrom = samples().length;

    // Boot 2: the UNLOCK that read the memory erased the secrets and the key set (it keeps the
    // image, the audit pages and the tables), so the key set goes in again, and the memory is
    // read as a device starts every day: key set and tables in flash. A root signs the UNLOCK
    // (the clock floor went with the rest: an untrusted clock takes a root's command only).
    boot = new Boot(pool, dir);
    client = new DeviceClient(boot.link, world.adminKey);
    must(await booted(client, secondFrom), "pindai pool"); // answered once it has booted
    must(await watched("at the second boot's KEYSET", () => client.installKeyset(world.keysetBytes)), "INSTALLED 1");
    step("second boot, KEYSET again");
    const readAtBoot = await boot.memory(new DeviceClient(boot.link, world.rootKey));
    const atBoot = { ...readAtBoot, flags: flagsSince(secondFrom, readAtBoot.flags) };
    return { usage: { boot: usageBoot, provisioned: usageProvisioned, scans: usageScans }, boot: atBoot, after, log, logCount, steps, ...(o.demand ? { demand, demandParts } : {}) };
  } catch (e) {
    // What Espruino last printed (an out-of-memory or error line) says more than a timeout.
    if (boot !== undefined) {
      const assert = /ASSERT[^\n]*|[A-Z_]*MEMORY[^\n]*/.exec(boot.out); // Espruino for Linux's own failure line, before its trace
      (e as Error).message += `; steps: ${steps.join(", ")}; Espruino printed: ${assert ? assert[0] + " ... " : ""}${JSON.stringify(boot.out.slice(-400))}`;
    }
    throw e;
  } finally {
    boot?.close();
    scanner.close();
    link.close();
  }
}
