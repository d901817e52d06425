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
import { fitProblems, loadBoard, shippedBoards } from "../host/src/flash-espruino";
import { crc32 } from "../firmware/core/crc32";
import { openPtyPair } from "../sim/pty";
import { runCli } from "./support/cli";
import { haveTool } from "./support/tools";
import { killTree, ptyExec } from "./support/pty-exec";
import { killChildren, processesIn, spawnChild } from "./support/children";
import { makeWorld } from "../sim/world";
import { hex, newKey, writeKeyFile } from "../host/issuer/keyfile";

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
  let img: BuildResult;
  let want: number;
  beforeAll(async () => {
    img = await build({ version: "flash-test", roots: [hex(world.roots[0].publicKey)] }, mkdtempSync(join(tmpdir(), "pindai-flash-build-")), () => {});
    const bytes = readFileSync(img.espruino);
    want = crc32(bytes, 0, bytes.length);
  }, 120_000);

  /** One admin line, its reply. */
  async function lineOn(path: string, line: string): Promise<string> {
    const port = new SerialPort({ path, baudRate: 9600 });
    let seen = "";
    port.on("data", (d: Buffer) => (seen += d.toString("latin1")));
    try {
      for (let i = 0; i < 50 && !/(OK|ERR)[^\r\n]*\r?\n/.test(seen); i++) {
        if (i % 10 === 0) port.write(line + "\n");
        await new Promise((r) => setTimeout(r, 200));
      }
      return /(OK|ERR)[^\r\n]*/.exec(seen)?.[0] ?? seen;
    } finally {
      await new Promise((r) => port.close(r));
    }
  }

  /** Ask the running image for its version on its admin line (its console is locked). */
  async function versionOnConsole(path: string): Promise<string> {
    const port = new SerialPort({ path, baudRate: 9600 });
    let seen = "";
    port.on("data", (d: Buffer) => (seen += d.toString("latin1")));
    try {
      for (let i = 0; i < 50 && !/OK pindai \S+/.test(seen); i++) {
        port.write("VERSION\n");
        await new Promise((r) => setTimeout(r, 200));
      }
      return /OK pindai (\S+)/.exec(seen)?.[1] ?? seen;
    } finally {
      await new Promise((r) => port.close(r));
    }
  }

  it("over a pty console: uploads with progress, verifies the CRC, and the image starts at boot", async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const dir = espruinoDir();
    const first = await ptyExec(bin, dir);
    procs.push(first.proc);
    const r = await runCli("flash", "--port", first.path, "--image", img.espruino, "--json");
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out);
    expect(result).toMatchObject({ firmware: expect.stringMatching(/^2v/), bytes: img.sizes.espruino, crc: want, version: "flash-test", boardName: "Espruino for Linux" });
    expect(r.err).toMatch(/flash: 0% /);
    expect(r.err).toMatch(/flash: 100% /);
    // Power off and on: a fresh interpreter on the same flash file runs .bootcde.
    killTree(first.proc);
    await new Promise((res) => first.proc.on("exit", res));
    const second = await ptyExec(bin, dir);
    procs.push(second.proc);
    expect(await versionOnConsole(second.path)).toBe("flash-test");
    // Its console is locked now: a re-flash needs a signed UNLOCK, and erases Storage first.
    const idBefore = await lineOn(second.path, "ID");
    const locked = await runCli("flash", "--port", second.path, "--image", img.espruino, "--timeout", "3000");
    expect(locked.code).toBe(1);
    expect(locked.err).toMatch(/give --admin-key/);
    const rootFile = join(dir, "root.json");
    writeKeyFile(rootFile, newKey(["root"], 0, 2 ** 32, new Uint8Array(world.rootKey.secretKey)));
    const again = await runCli("flash", "--port", second.path, "--image", img.espruino, "--admin-key", rootFile);
    expect(again.code, again.err).toBe(0);
    expect(await lineOn(second.path, "ID")).not.toBe(idBefore); // Storage was wiped: a new device key
  }, 240_000);

  it("over a lossy link: a damaged chunk is sent again, and only a whole image boots", async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const dir = espruinoDir();
    const esp = await ptyExec(bin, dir);
    procs.push(esp.proc);
    // A relay between the host's pty and Espruino's that damages one character of one chunk, once.
    const link = await openPtyPair();
    const devicePort = new SerialPort({ path: esp.path, baudRate: 9600 });
    const relayPort = new SerialPort({ path: link.b, baudRate: 9600 });
    await Promise.all([new Promise((r) => devicePort.once("open", r)), new Promise((r) => relayPort.once("open", r))]);
    let seen = 0;
    let damaged = 0;
    relayPort.on("data", (d: Buffer) => {
      seen += d.length;
      const at = d.indexOf("atob(");
      if (damaged === 0 && seen > 20_000 && at >= 0 && at + 10 < d.length) {
        d = Buffer.from(d);
        d[at + 10] = d[at + 10] === 0x41 ? 0x42 : 0x41; // one base64 character: other bytes, a wrong CRC
        damaged++;
      }
      if (devicePort.isOpen) devicePort.write(d);
    });
    devicePort.on("data", (d: Buffer) => relayPort.isOpen && relayPort.write(d));
    try {
      const r = await runCli("flash", "--port", link.a, "--image", img.espruino, "--verbose");
      expect(r.code, r.err).toBe(0);
      expect(damaged).toBe(1);
      expect(r.err).toMatch(/upload attempt 2/);
      expect(r.out).toContain("running: pindai flash-test");
    } finally {
      await new Promise((res) => relayPort.close(res));
      await new Promise((res) => devicePort.close(res));
      link.close();
    }
  }, 240_000);

  it("over the telnet console (tcp://)", async () => {
    const dir = espruinoDir();
    // Its stdin stays open (it exits at end of input); a closed socket must not kill it (SIGPIPE).
    const esp = spawnChild("sh", ["-c", `trap "" PIPE; exec ${bin} --telnet`], { cwd: dir, stdio: ["pipe", "ignore", "ignore"] });
    procs.push(esp);
    await new Promise((r) => setTimeout(r, 1000));
    const r = await runCli("flash", "--port", "tcp://localhost:2323", "--image", img.espruino);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`CRC-32 ${want} verified`));
    expect(r.out).toContain("running: pindai flash-test");
  }, 180_000);
});
