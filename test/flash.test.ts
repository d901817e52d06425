// pindai flash: the Espruino image uploaded with espruino-tools. Without a
// device: the options, the shipped board JSONs, the fit checks, and a port
// where nothing answers. With ESPRUINO naming a real Espruino binary: the
// upload over a pty console and over the telnet console, then a restart that
// shows the image starts at boot.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { build, type BuildResult } from "../host/build/build";
import { espruinoStorageFiles, fitProblems, IMAGE_FILE, IMAGE_VARIABLES, loadBoard, poolProblem, shippedBoards, speedWarning } from "../host/src/flash-espruino";
import { crc32 } from "../firmware/core/crc32";
import { openPtyPair } from "../sim/pty";
import { runCli } from "./support/cli";
import { onLine } from "./support/on-line";
import { haveTool } from "./support/tools";
import { killTree, ptyExec } from "./support/pty-exec";
import { killChildren, processesIn, spawnChild } from "./support/children";
import { makeWorld } from "../sim/world";
import { hex, newKey, writeKeyFile } from "../host/issuer/keyfile";
import { CLEAR_MS, DeviceLines, END_HALF_LINE, replRequest } from "../host/src/device-lines";
import { createConnection } from "node:net";
import { SimDevice } from "../sim/device";
import { openSerial } from "../firmware/targets/node/serial";

/** Resolves once something accepts connections on localhost:port (tried again on refusal), or fails at the deadline. */
async function listening(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = createConnection({ host: "localhost", port });
      s.once("connect", () => (s.destroy(), res(true)));
      s.once("error", () => res(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const world = makeWorld(Math.floor(Date.now() / 1000), 2, "flash");

const procs: ChildProcess[] = [];
/** Every folder an Espruino ran in: none may hold a live process once the suite is done. */
const espruinoDirs: string[] = [];
const espruinoDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "pindai-espflash-")); // Espruino's flash file lives here
  espruinoDirs.push(dir);
  return dir;
};
afterEach(() => {
  while (procs.length) killTree(procs.pop()!); // Espruino for Linux ignores SIGTERM
});
afterAll(async () => {
  killChildren();
  await new Promise((r) => setTimeout(r, 300)); // SIGKILL is delivered, the pids reaped
  expect(processesIn(espruinoDirs)).toEqual([]);
});

describe("pindai flash without a device", () => {
  it("--help names the shipped boards", async () => {
    const r = await runCli("flash", "--help");
    expect(r.code).toBe(0);
    expect(r.out).toContain("tcp://HOST:PORT");
    for (const b of ["LINUX", "PUCKJS", "PICO_R1_3"]) expect(r.out).toContain(b);
  });

  it("usage errors exit 2", async () => {
    expect((await runCli("flash")).err).toMatch(/missing --port/);
    const r = await runCli("flash", "--port", "/dev/null", "--image", "/nonexistent.js");
    expect(r.code).toBe(1); // a file that cannot be read (pindai --help)
    expect(r.err).toMatch(/cannot read image .*npm run build/);
    expect((await runCli("flash", "--port", "/dev/null", "--timeout", "x")).code).toBe(2);
  });

  it("every shipped board JSON loads, and a missing one is named", () => {
    for (const b of shippedBoards()) expect(loadBoard(b).json.info?.name).toBeTruthy();
    expect(loadBoard("PUCKJS").json.info?.builtin_modules).toContain("Storage");
    expect(() => loadBoard("NO_SUCH_BOARD")).toThrow(/no board JSON shipped for NO_SUCH_BOARD .*--board/);
    expect(() => loadBoard("LINUX", "/nonexistent.json")).toThrow(/no board file/);
  });

  it("refuses boards the image cannot run on, with the reason", () => {
    const board = loadBoard("PUCKJS").json;
    const env = { VERSION: "2v29", BOARD: "PUCKJS", MODULES: "Flash,Storage" };
    expect(fitProblems(env, board, 58000, 100000)).toEqual([]);
    expect(fitProblems(env, board, 58000, 40000)).toEqual(["the image needs 58000 bytes of Storage, the board has 40000 free"]);
    expect(fitProblems({ ...env, MODULES: "Flash" }, board, 1, 10)[0]).toMatch(/no Storage module/);
    expect(fitProblems({ ...env, VERSION: "1v95" }, board, 1, 10)[0]).toMatch(/older than 1v96/);
    // Without MODULES from the device, the board JSON's list decides.
    expect(fitProblems({ VERSION: "2v29" }, board, 1, 10)).toEqual([]);
  });

  it("refuses a fixed pool of variables under the image's least, from the device's own count", () => {
    const puck = loadBoard("PUCKJS").json;
    expect(puck.info?.variables).toBe(2630);
    expect(poolProblem(puck, 2630)).toBe(`the image needs a pool of at least ${IMAGE_VARIABLES} variables (the smallest it runs on, the Espruino Pico's); this board has 2630: it would run out of memory while booting`);
    // The device's answer counts, not the board JSON's (a firmware built with another pool).
    expect(poolProblem(puck, IMAGE_VARIABLES)).toBeUndefined();
    expect(poolProblem(puck, IMAGE_VARIABLES - 1)).toMatch(/this board has 5099:/);
    // No answer: the board JSON's figure.
    expect(poolProblem(puck, NaN)).toMatch(/this board has 2630:/);
    expect(poolProblem(loadBoard("PICO_R1_3").json, 5100)).toBeUndefined();
    // Espruino for Linux grows its pool (it answers 4,096 at first): never refused.
    expect(loadBoard("LINUX").json.info?.variables).toBe(0);
    expect(poolProblem(loadBoard("LINUX").json, 4096)).toBeUndefined();
  });

  it("warns where the image verifies too slowly for a door: a Cortex-M4 board without the native kernel, Espruino on an ESP32", async () => {
    const portable = "$Q.adm=function(){};\nvar x=1;";
    const withKernel = 'var PINDAI_KERNEL = {"code":"","at":{}};\n' + portable;
    expect(speedWarning(loadBoard("PICO_R1_3").json, portable)).toBe('this image verifies in JavaScript (built without "espruinoCortexM"): on Espruino Pico a verification takes minutes; build with "espruinoCortexM": true for about a second');
    expect(speedWarning(loadBoard("PUCKJS").json, portable)).toMatch(/on Puck.js a verification takes minutes/);
    expect(speedWarning(loadBoard("PICO_R1_3").json, withKernel)).toBeUndefined();
    expect(speedWarning(loadBoard("LINUX").json, portable)).toBeUndefined();
    expect(speedWarning({ info: { name: "ESP32" }, chip: { family: "ESP32" } }, portable)).toMatch(/NodeMCU Lua/);
    // A real build: the portable image is the one warned about, the kernel image is not.
    const { build } = await import("../host/build/build");
    const img = readFileSync((await build({ version: "speed" }, mkdtempSync(join(tmpdir(), "pindai-speed-")), () => {}, ["espruino"])).espruino, "latin1");
    expect(speedWarning(loadBoard("PICO_R1_3").json, img)).toMatch(/built without "espruinoCortexM"/);
    if (haveTool("arm-none-eabi-gcc")) {
      const dir = mkdtempSync(join(tmpdir(), "pindai-speed-"));
      const kernel = readFileSync((await build({ version: "speed", espruinoCortexM: true }, dir, () => {}, ["espruino"])).espruino, "latin1");
      expect(speedWarning(loadBoard("PICO_R1_3").json, kernel)).toBeUndefined();
    }
  }, 240_000);

  it("answers are matched on whole lines only, however the link cuts the bytes", async () => {
    const lines = new DeviceLines();
    let sent = 0;
    const version = lines.request("VERSION", 5_000, /OK pindai (\S+)$/, () => sent++);
    lines.push("OK pindai flash-te"); // a USB packet ends mid-line: "flash-te" is not the version
    lines.push("st\r");
    lines.push("\nOK pindai later\r\n");
    expect((await version)[1]).toBe("flash-test");
    expect(sent).toBe(1);
    // A wait with nothing coming ends at its deadline, and a closed link ends every wait at once.
    await expect(lines.request("nothing", 50, /never/, () => {})).rejects.toThrow(/no answer within 50 ms/);
    const pending = lines.request("ID", 60_000, /^OK /, () => {});
    lines.end("the link closed");
    await expect(pending).rejects.toThrow(/the link closed/);
  });

  it("a REPL request answered otherwise than it must be, or not at all, is sent again after a line of closing brackets", async () => {
    const lines = new DeviceLines();
    const sent: string[] = [];
    const resent: number[] = [];
    const answer = replRequest(lines, (s) => sent.push(s), "erasing x", `require("Storage").erase("x"),1`, 5_000, { answer: "1", resendMs: 100, resent: (n) => resent.push(n) });
    const tag = /<pindai (\w+) /.exec(sent[0])![1];
    expect(sent[0]).toBe(`\x10print("<pindai ${tag} "+JSON.stringify((require("Storage").erase("x"),1))+">")\n`);
    // The line lost bytes on the way and ran as other JavaScript: its answer is not the request's.
    lines.push(`<pindai ${tag} null>\r\n`);
    await new Promise((r) => setTimeout(r, 250));
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent[1]).toBe(END_HALF_LINE + sent[0]); // a line left open in brackets is ended first
    expect(resent[0]).toBe(1);
    lines.push(`<pindai ${tag} 1>\r\n`);
    expect(await answer).toBe(1);
    const count = sent.length;
    await new Promise((r) => setTimeout(r, 250));
    expect(sent.length).toBe(count); // answered: no more sends
    // clearLine: each resend is Ctrl-C (the REPL drops its input line), then the line CLEAR_MS later.
    const cleared: string[] = [];
    const second = replRequest(lines, (s) => cleared.push(s), "erasing y", `require("Storage").erase("y"),1`, 5_000, { answer: "1", resendMs: 1000, clearLine: true });
    await new Promise((r) => setTimeout(r, 1100));
    expect(cleared).toEqual([cleared[0], "\x03"]);
    await new Promise((r) => setTimeout(r, CLEAR_MS));
    expect(cleared).toEqual([cleared[0], "\x03", cleared[0]]);
    lines.push(`<pindai ${/<pindai (\w+) /.exec(cleared[0])![1]} 1>\r\n`);
    expect(await second).toBe(1);
    // Without resendMs, sent once, whatever comes.
    const once: string[] = [];
    await expect(replRequest(lines, (s) => once.push(s), "once", "1", 300, { answer: "1" })).rejects.toThrow(/no answer within 300 ms/);
    expect(once.length).toBe(1);
  });

  it("a device running pindai (its admin line on the port, the simulator's): named as locked at once, not after the timeout", async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const link = await openPtyPair();
    const sim = new SimDevice({ roots: world.roots, buildTime: 0, version: "locked" });
    const port = await openSerial(link.b, 9600);
    sim.connectAdmin(port);
    try {
      const dir = mkdtempSync(join(tmpdir(), "pindai-flash-"));
      const image = join(dir, "x.js");
      writeFileSync(image, "print(1)\n");
      const t0 = Date.now();
      const r = await runCli("flash", "--port", link.a, "--image", image, "--timeout", "20000");
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/runs pindai, its console locked; give --admin-key/);
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      port.close();
      link.close();
    }
  }, 30_000);

  it("a port where no Espruino answers fails (exit 1) instead of hanging", async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const link = await openPtyPair();
    try {
      const dir = mkdtempSync(join(tmpdir(), "pindai-flash-"));
      const image = join(dir, "x.js");
      writeFileSync(image, "print(1)\n");
      const t0 = Date.now();
      const r = await runCli("flash", "--port", link.a, "--image", image, "--timeout", "1000");
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/no Espruino answered/);
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      link.close();
    }
  }, 30_000);
});

if (!process.env.ESPRUINO) {
  console.warn("\n*** SKIPPED: ESPRUINO is not set: pindai flash was not tried on a real Espruino ***\n");
}

describe.skipIf(!process.env.ESPRUINO)("pindai flash on a real Espruino (ESPRUINO names the binary)", () => {
  const bin = process.env.ESPRUINO!;
  // Each step may take a minute: a first boot makes the device key and tables, and Espruino for
  // Linux on a loaded 2-core machine runs many times slower than on a quiet one.
  const SLOW = ["--timeout", "60000"];
  let img: BuildResult;
  let want: number;
  let files: Array<{ name: string; bytes: number; crc: number }>;
  beforeAll(async () => {
    img = await build({ version: "flash-test", roots: [hex(world.roots[0].publicKey)] }, mkdtempSync(join(tmpdir(), "pindai-flash-build-")), () => {});
    // The Storage files pindai flash writes: the image's parts, then pindai.img.
    files = espruinoStorageFiles(readFileSync(img.espruino, "latin1")).map((f) => {
      const b = Buffer.from(f.data, "latin1");
      return { name: f.name, bytes: b.length, crc: crc32(b, 0, b.length) };
    });
    want = files[files.length - 1].crc;
  }, 600_000); // a build on a loaded 2-core machine

  /** One admin line, its reply line (asked again each second until one comes, a device still booting). */
  const lineOn = (path: string, line: string, reply: RegExp, ms = 180_000) =>
    onLine(path, async (lines, write) => (await lines.request(line, ms, reply, () => write(line + "\n"), 1000))[0]);
  /** The device's ID answer (an earlier session's late VERSION answers are not it). */
  const ID = /^OK [0-9a-f]{16} [0-9a-f]{64}$/;

  /** The running image's version, on its admin line (its console is locked). */
  const versionOnConsole = (path: string) => onLine(path, async (lines, write) => (await lines.request("VERSION", 180_000, /OK pindai (\S+)$/, () => write("VERSION\n"), 1000))[1]);

  /** An open (unlocked) Espruino console: the files in Storage. */
  const storageFiles = (path: string) =>
    onLine(path, async (lines, write) => {
      write("\n");
      return (await replRequest(lines, write, "listing Storage", `require("Storage").list()`, 30_000)) as string[];
    });

  /**
   * A relay from a new pty to `device` (a pty's path, or tcp://HOST:PORT for Espruino's telnet
   * console); `tamper` sees (and may change or drop) each chunk host -> device, `answers` each one back.
   */
  async function relay(device: string, tamper: (d: Buffer, seen: number) => Buffer | undefined, answers: (d: Buffer) => Buffer | undefined = (d) => d) {
    const link = await openPtyPair();
    const tcp = /^tcp:\/\/([^:]+):(\d+)$/.exec(device);
    const toDevice = tcp ? createConnection({ host: tcp[1], port: Number(tcp[2]) }) : new SerialPort({ path: device, baudRate: 9600 });
    const relayPort = new SerialPort({ path: link.b, baudRate: 9600 });
    const deviceOpen = () => (tcp ? !(toDevice as ReturnType<typeof createConnection>).destroyed : (toDevice as SerialPort).isOpen);
    await Promise.all([new Promise((r) => toDevice.once(tcp ? "connect" : "open", r)), new Promise((r) => relayPort.once("open", r))]);
    let seen = 0;
    relayPort.on("data", (d: Buffer) => {
      seen += d.length;
      const out = tamper(d, seen);
      if (out !== undefined && deviceOpen()) toDevice.write(out);
    });
    toDevice.on("data", (d: Buffer) => {
      const out = answers(d);
      if (out !== undefined && relayPort.isOpen) relayPort.write(out);
    });
    toDevice.on("error", () => {});
    relayPort.on("error", () => {});
    return {
      path: link.a,
      /** Pull the cable: the host's end of the relay closes. */
      cut: () => link.close(),
      async close() {
        await new Promise((res) => (relayPort.isOpen ? relayPort.close(res) : res(undefined)));
        if (tcp) (toDevice as ReturnType<typeof createConnection>).destroy();
        else await new Promise((res) => ((toDevice as SerialPort).isOpen ? (toDevice as SerialPort).close(res) : res(undefined)));
        link.close();
      },
    };
  }

  /**
   * A fresh Espruino for Linux on its telnet console (localhost:2323), for the tests of a lossy
   * link: its pty console has a loss of its own (an input queue its input thread fills without a
   * lock: now and then bytes lost, mangled or played again thousands of times), which would mix
   * with the loss a test makes. Telnet input is queued by its main loop.
   */
  async function telnetEspruino(): Promise<string> {
    const dir = espruinoDir();
    // Its stdin stays open (it exits at end of input); a closed socket must not kill it (SIGPIPE).
    const esp = spawnChild("sh", ["-c", `trap "" PIPE; exec ${bin} --telnet`], { cwd: dir, stdio: ["pipe", "ignore", "ignore"] });
    procs.push(esp);
    await listening(2323, 30_000);
    return "tcp://localhost:2323";
  }

  /**
   * A fault made once, after `text` (a request) went by in the host's bytes (followed across the
   * pieces the host sends them in): `watch` each host piece; `armed` from the piece that ends
   * `text` on, until `fire` says the fault is made; `fired` counts them (1 after a run).
   */
  function onceAfter(text: string) {
    let tail = "";
    const once = {
      armed: false,
      fired: 0,
      watch(d: Buffer): void {
        tail = (tail + d.toString("latin1")).slice(-(text.length + 40));
        if (once.fired === 0 && tail.includes(text)) once.armed = true;
      },
      fire(): void {
        once.armed = false;
        once.fired++;
      },
    };
    return once;
  }

  /** pindai flash through a relay, verbose: it must flash, say `log` on the way and start the image; the relay is closed after. */
  async function flashesThrough(r0: { path: string; close(): Promise<void> }, log: RegExp): Promise<void> {
    try {
      const r = await runCli("flash", "--port", r0.path, "--image", img.espruino, "--verbose", ...SLOW);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(log);
      expect(r.out).toContain("running: pindai flash-test");
    } finally {
      await r0.close();
    }
  }

  it("over a pty console: uploads with progress, verifies the CRC, and the image starts at boot", async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const dir = espruinoDir();
    const first = await ptyExec(bin, dir);
    procs.push(first.proc);
    const r = await runCli("flash", "--port", first.path, "--image", img.espruino, "--json", ...SLOW);
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out);
    const total = files.reduce((n, f) => n + f.bytes, 0);
    expect(result).toMatchObject({ firmware: expect.stringMatching(/^2v/), bytes: total, crc: want, files, version: "flash-test", boardName: "Espruino for Linux" });
    expect(files.map((f) => f.name)).toEqual(["pindai.adm", "pindai.tbl", "pindai.qr", "pindai.sig", "pindai.curve", "pindai.scr", "pindai.lay", "pindai.sha", "pindai.boot", "pindai.cold", "pindai.sto", "pindai.kss", "pindai.card", IMAGE_FILE]); // every file written and checked
    expect(r.err).toMatch(/flash: 0% /);
    expect(r.err).toMatch(/flash: 100% /);
    // Power off and on: a fresh interpreter on the same flash file runs .bootcde.
    killTree(first.proc);
    await new Promise((res) => first.proc.on("exit", res));
    const second = await ptyExec(bin, dir);
    procs.push(second.proc);
    expect(await versionOnConsole(second.path)).toBe("flash-test");
    // Its console is locked now: a re-flash needs a signed UNLOCK, and erases Storage first.
    const idBefore = await lineOn(second.path, "ID", ID);
    const locked = await runCli("flash", "--port", second.path, "--image", img.espruino, "--timeout", "3000");
    expect(locked.code).toBe(1);
    expect(locked.err).toMatch(/give --admin-key/);
    const rootFile = join(dir, "root.json");
    writeKeyFile(rootFile, newKey(["root"], 0, 2 ** 32, new Uint8Array(world.rootKey.secretKey)));
    const again = await runCli("flash", "--port", second.path, "--image", img.espruino, "--admin-key", rootFile, ...SLOW);
    expect(again.code, again.err).toBe(0);
    expect(await lineOn(second.path, "ID", ID)).not.toBe(idBefore); // Storage was wiped: a new device key
  }, 240_000);

  // FLASH_REPEAT=20 flashes 20 times in a row (the issue's "20 of 20"): the first onto a fresh
  // Espruino, each next one a re-flash of the running image (signed UNLOCK, erase, upload) after a
  // power cycle (the image booted from flash). FLASH_REPEAT_NO_CYCLE=1 re-flashes straight after
  // the flash before it (the image that flash started with load(), busy with its first boot's
  // tables: an UNLOCK not answered in time is sent again, README).
  const repeat = Number(process.env.FLASH_REPEAT ?? 2);
  it(`${repeat} flashes in a row on one device, each to a running image`, async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const dir = espruinoDir();
    // FLASH_REPEAT_TCP=1: over the telnet console instead of a pty. Espruino for Linux feeds a pty's
    // bytes from a second thread into an input queue it does not lock (jshInterruptOff is empty
    // there), which can crash it (an ASSERT in jshPopIOEvent) on a loaded machine; telnet input is
    // queued by its main loop.
    const tcp = process.env.FLASH_REPEAT_TCP === "1";
    let running: ChildProcess | undefined;
    /** Power on (again): a fresh interpreter on the same flash file boots what is stored. */
    const powerOn = async (): Promise<string> => {
      if (running !== undefined) {
        const was = running;
        killTree(was);
        if (was.exitCode === null && was.signalCode === null) await new Promise((res) => was.on("exit", res));
      }
      if (tcp) {
        running = spawnChild("sh", ["-c", `trap "" PIPE; exec ${bin} --telnet`], { cwd: dir, stdio: ["pipe", "ignore", "ignore"] });
        procs.push(running);
        await listening(2323, 30_000);
        return "tcp://localhost:2323";
      }
      const esp = await ptyExec(bin, dir);
      running = esp.proc;
      procs.push(esp.proc);
      return esp.path;
    };
    const esp = { path: await powerOn() };
    const rootFile = join(dir, "root.json");
    writeKeyFile(rootFile, newKey(["root"], 0, 2 ** 32, new Uint8Array(world.rootKey.secretKey)));
    const outcomes: string[] = [];
    for (let i = 0; i < repeat; i++) {
      // Each re-flash finds the image booted from flash (switched off and on after the last
      // flash, as a unit is), done with its first boot's key and tables: it answers ID.
      if (i > 0) {
        // (Not over telnet: a booted image keeps its admin line on stdin, the console it found at boot.)
        if (!tcp && process.env.FLASH_REPEAT_NO_CYCLE !== "1") esp.path = await powerOn();
        expect(await lineOn(esp.path, "ID", ID)).toMatch(ID);
      }
      const r = await runCli("flash", "--port", esp.path, "--image", img.espruino, "--json", ...SLOW, ...(i > 0 ? ["--admin-key", rootFile] : []));
      const seconds = r.code === 0 ? (JSON.parse(r.out) as { seconds: number }).seconds.toFixed(1) : "";
      outcomes.push(r.code === 0 ? `ok ${JSON.parse(r.out).version} ${seconds} s` : `exit ${r.code}: ${r.err.trim().split("\n").pop()}`);
      console.log(`flash ${i + 1}/${repeat}: ${outcomes[i]}`);
    }
    expect(outcomes.filter((o) => !o.startsWith("ok flash-test "))).toEqual([]);
  }, 120_000 + repeat * 420_000);

  it("a console left inside an unfinished line (an upload broken off in its brackets): the flash ends it and goes on", async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const dir = espruinoDir();
    const esp = await ptyExec(bin, dir);
    procs.push(esp.proc);
    // The REPL waits for more lines while brackets are open: what a cut upload line leaves behind.
    await onLine(esp.path, async (lines, write) => {
      write("\n");
      await replRequest(lines, write, "a first answer", "1", 30_000, { resendMs: 1000 });
      write('require("Storage").write("x",atob("QUJD"),0,(1+\n');
    });
    const r = await runCli("flash", "--port", esp.path, "--image", img.espruino, ...SLOW);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("running: pindai flash-test");
  }, 240_000);

  it("over a lossy link: a damaged chunk is sent again, and only a whole image boots", async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const device = await telnetEspruino();
    // A relay between the host's pty and Espruino's that damages one character of one chunk, once.
    let damaged = 0;
    const r0 = await relay(device, (d, seen) => {
      const at = d.indexOf('W("'); // a chunk: W("<the image's text>",offset)
      // One letter of the image's text changed: still a valid line, other bytes, a wrong CRC.
      let k = at + 3;
      while (at >= 0 && k < d.length && !/[A-Za-z]/.test(String.fromCharCode(d[k]))) k++;
      if (damaged === 0 && seen > 20_000 && at >= 0 && k < d.length) {
        d = Buffer.from(d);
        d[k] = d[k] === 0x41 ? 0x42 : 0x41;
        damaged++;
      }
      return d;
    });
    await flashesThrough(r0, /upload attempt 2/);
    expect(damaged).toBe(1);
  }, 240_000);

  it("a request left unanswered (an erase): asked again, and the flash goes on", async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const device = await telnetEspruino();
    // One file's erase goes unanswered, once: its answer is lost on the way back, as a request lost
    // on the way there would leave it (before, the flash stopped there after 60 s). (Lost on the way
    // back: Espruino for Linux's pty loses input bytes of its own when they come in bulk, so a relay
    // that held lines back to drop a request whole made other losses.)
    const erase = onceAfter('erase("pindai.sig")');
    const r0 = await relay(
      device,
      (d) => (erase.watch(d), d),
      (d) => {
        if (!erase.armed || !d.includes("<pindai ")) return d;
        erase.fire(); // the answer dropped
        return undefined;
      },
    );
    await flashesThrough(r0, /erasing pindai\.sig: no answer yet, asking again \(2\)/);
    expect(erase.fired).toBe(1);
  }, 240_000);

  it("a request mangled on the way into a line the REPL holds open: the line is cleared, and the flash goes on", async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const device = await telnetEspruino();
    // As Espruino for Linux's pty input race leaves it now and then (a quote lost turns code
    // inside out): a hundred brackets opened inside one file's erase request. The REPL then holds
    // that line and every line after it (a line of closing brackets ends 12).
    // (The brackets go in before the newline that ends the request.)
    const erase = onceAfter('erase("pindai.sig")');
    const r0 = await relay(device, (d) => {
      erase.watch(d);
      const end = erase.armed ? d.indexOf(10) : -1;
      if (end < 0) return d;
      erase.fire();
      return Buffer.concat([d.subarray(0, end), Buffer.from("(".repeat(100)), d.subarray(end)]);
    });
    await flashesThrough(r0, /erasing pindai\.sig: no answer yet, asking again \(2\)/);
    expect(erase.fired).toBe(1);
  }, 240_000);

  it("a re-flash of a provisioned device cut off midway leaves it with no secrets, never unlocked with them", async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const dir = espruinoDir();
    const first = await ptyExec(bin, dir);
    procs.push(first.proc);
    const fresh = await runCli("flash", "--port", first.path, "--image", img.espruino, ...SLOW);
    expect(fresh.code, fresh.err).toBe(0);
    // Provisioned: a key set installed (the device key and audit key were made at its first start).
    const keyset = join(dir, "keyset.cbor");
    writeFileSync(keyset, world.keysetBytes);
    const k = await runCli("device", "--port", first.path, "--timeout", "180000", "keyset", "--keyset", keyset);
    expect(k.code, k.err).toBe(0);
    const rootFile = join(dir, "root.json");
    writeKeyFile(rootFile, newKey(["root"], 0, 2 ** 32, new Uint8Array(world.rootKey.secretKey)));
    expect(await lineOn(first.path, "ID", ID)).toMatch(ID); // done with the key set: idle again
    // The re-flash, through a cable pulled once 4,000 bytes of the image are through.
    let sent = 0;
    const cable = await relay(first.path, (d) => {
      if (sent > 0 || d.includes('W("')) sent += d.length;
      if (sent > 4000) {
        cable.cut();
        return undefined;
      }
      return d;
    });
    try {
      const r = await runCli("flash", "--port", cable.path, "--image", img.espruino, "--admin-key", rootFile, ...SLOW);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/link to the device closed/);
    } finally {
      await cable.close();
    }
    // What anyone at the port now finds: an open console, and no secret behind it.
    const files = await storageFiles(first.path);
    for (const secret of ["device.key", "audit.key", "keyset.0", "keyset.1", ".bootcde"]) expect(files).not.toContain(secret);
    // Power off and on: a plain Espruino (no image starts), holding nothing of the pindai device.
    killTree(first.proc);
    await new Promise((res) => first.proc.on("exit", res));
    const second = await ptyExec(bin, dir);
    procs.push(second.proc);
    expect(await storageFiles(second.path)).not.toContain("device.key");
  }, 300_000);

  it("over the telnet console (tcp://)", async () => {
    const dir = espruinoDir();
    // Its stdin stays open (it exits at end of input); a closed socket must not kill it (SIGPIPE).
    const esp = spawnChild("sh", ["-c", `trap "" PIPE; exec ${bin} --telnet`], { cwd: dir, stdio: ["pipe", "ignore", "ignore"] });
    procs.push(esp);
    await listening(2323, 30_000);
    const r = await runCli("flash", "--port", "tcp://localhost:2323", "--image", img.espruino, ...SLOW);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/flashed \d+ bytes to pindai\.adm, pindai\.tbl, pindai\.qr, pindai\.sig, pindai\.curve, pindai\.scr, pindai\.lay, pindai\.sha, pindai\.boot, pindai\.cold, pindai\.sto, pindai\.kss, pindai\.card, pindai\.img on .*each file's CRC-32 verified/);
    expect(r.out).toContain("running: pindai flash-test");
  }, 180_000);
});
