// The flashed Espruino image within a board's fixed pool of variables
// (test/support/pool-image.ts). ESPRUINO_POOL names an Espruino for Linux
// built 32-bit with a board's fixed pool; ESPRUINO the normal build that
// writes Storage. On a pool of the image's least (5,100) or more, the image
// is run; under it, pindai flash must refuse the board. Espruino is not a
// Debian package and its binaries are never committed: without both this
// says loudly that it skipped.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { describe, expect, it } from "vitest";
import { crc32 } from "../firmware/core/crc32";
import { openPtyPair, writePaced } from "../sim/pty";
import { killChild, spawnChild } from "./support/children";
import { haveTool } from "./support/tools";
import { runImageOnPool } from "./support/pool-image";
import { ptyExec } from "./support/pty-exec";
import { runCli } from "./support/cli";
import { replRequest } from "../host/src/device-lines";
import { onLine } from "./support/on-line";
import { IMAGE_VARIABLES } from "../host/src/flash-espruino";
import { build } from "../host/build/build";

const big = process.env.ESPRUINO;
const pool = process.env.ESPRUINO_POOL;
if (!big || !pool) {
  console.warn("\n*** SKIPPED: ESPRUINO and ESPRUINO_POOL are not both set: the flashed image was not run on a fixed variable pool ***\n");
}

/** The pool binary's own count of variables (its process.memory().total). */
function poolVariables(bin: string): number {
  const dir = mkdtempSync(join(tmpdir(), "pindai-pool-total-"));
  writeFileSync(join(dir, "total.js"), 'print("<total "+process.memory().total+">");quit();');
  const out = spawnSync(bin, [join(dir, "total.js")], { cwd: dir, encoding: "latin1", timeout: 30_000, killSignal: "SIGKILL" }).stdout;
  const m = /<total (\d+)>/.exec(out);
  if (!m) throw new Error(`${bin} did not say its pool of variables: ${out.slice(-200)}`);
  return Number(m[1]);
}
const variables = big && pool ? poolVariables(pool) : 0;

describe.skipIf(!big || !pool)("the flashed Espruino image on a fixed pool (ESPRUINO_POOL)", () => {
  // The pace the scan engine's lines are sent at (sim/pty.ts writePaced): on this build, code-sized
  // lines so sent arrive whole at Serial1, while the main loop is kept busy by a timer.
  it("takes scan lines whole at Serial1 at the pace the pool test sends them", async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const link = await openPtyPair();
    const dir = mkdtempSync(join(tmpdir(), "pindai-pool-serial-"));
    writeFileSync(
      join(dir, "lines.js"),
      `Serial1.setup(9600,{path:${JSON.stringify(link.a)}});var l="";Serial1.on("data",function(d){l+=d;var i;while((i=l.indexOf("\\n"))>=0){print("<L "+i+" "+E.CRC32(l.substr(0,i))+">");l=l.substr(i+1);}});` +
        "setInterval(function(){var t=getTime();while(getTime()-t<0.02);},37);",
    );
    const proc = spawnChild(pool!, [join(dir, "lines.js")], { cwd: dir, stdio: ["pipe", "pipe", "ignore"] });
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => (out += d.toString("latin1")));
    const port = new SerialPort({ path: link.b, baudRate: 9600 });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const got: string[] = [];
      const want: string[] = [];
      for (let k = 0; k < 8; k++) {
        const line = "PD1:" + Array.from({ length: 330 }, (_, i) => "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"[(i * 7 + k * 13) % 45]).join("");
        want.push(`${line.length} ${crc32(Buffer.from(line, "latin1"), 0, line.length)}`);
        const from = out.length;
        await writePaced(port, line + "\n");
        for (let t = 0; t < 40 && !/<L \d+ -?\d+>/.test(out.slice(from)); t++) await new Promise((r) => setTimeout(r, 50));
        const m = /<L (\d+) (-?\d+)>/.exec(out.slice(from));
        got.push(m ? `${m[1]} ${Number(m[2]) >>> 0}` : "nothing");
      }
      expect(got).toEqual(want);
    } finally {
      port.close();
      link.close();
      killChild(proc);
    }
  }, 60_000);

  // Under the image's least pool (IMAGE_VARIABLES, host/src/flash-espruino.ts) the image runs out
  // of memory while booting (README, Memory): pindai flash refuses such a board instead.
  it.runIf(variables > 0 && variables < IMAGE_VARIABLES)(`a pool under ${IMAGE_VARIABLES} variables: pindai flash refuses the board, naming both counts, before erasing anything`, async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const dir = mkdtempSync(join(tmpdir(), "pindai-pool-refused-"));
    const img = await build({ version: "pool-refused" }, dir, () => {}, ["espruino"]);
    // A board JSON as a board's own: its pool fixed (the shipped LINUX.json says it grows).
    const board = join(dir, "board.json");
    writeFileSync(board, JSON.stringify({ info: { name: "Espruino for Linux, a fixed pool", variables: variables, builtin_modules: ["Storage"] } }));
    const esp = await ptyExec(pool!, dir);
    try {
      // Something in Storage the refusal must leave (an earlier image's key set, say).
      await onLine(esp.path, (lines, write) => replRequest(lines, write, "planting a file", `require("Storage").write("planted","keep me"),1`, 30_000, { answer: "1" }));
      const r = await runCli("flash", "--port", esp.path, "--image", img.espruino, "--board", board, "--timeout", "20000");
      expect(r.code).toBe(1);
      expect(r.err).toContain(`LINUX cannot run this image: the image needs a pool of at least ${IMAGE_VARIABLES} variables (the smallest it runs on, the Espruino Pico's); this board has ${variables}: it would run out of memory while booting (nothing was erased)`);
      const files = await onLine(esp.path, (lines, write) => replRequest(lines, write, "listing Storage", `require("Storage").list()`, 30_000));
      expect(files).toEqual(["planted"]);
    } finally {
      killChild(esp.proc);
    }
  }, 600_000);

  it.runIf(variables >= IMAGE_VARIABLES)("boots from Storage, is provisioned, makes its tables and verifies a scan without a memory error", async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const r = await runImageOnPool(big!, pool!);
    // UNLOCK clears the interpreter (reset()) before the REPL answers, so the usage read through
    // it is an empty interpreter's: the test checks the verdicts in the log and the error flags
    // Espruino reports then, with those the sampler read each second since the boot (reading
    // them clears them). The image's own variables are measured before any UNLOCK (README, Memory).
    console.log(
      `pool of ${r.boot.total} variables: in use ${r.usage.boot} after the first boot, ${r.usage.provisioned} after KEYSET and TIME, at most ${r.usage.scans} sampled during the scans and LOG (a full log of ${r.logCount} records); error flags ${JSON.stringify(r.after.flags)} after provisioning, tables and two scans, ${JSON.stringify(r.boot.flags)} after booting again; ${r.after.usage} in use after UNLOCK's reset (${r.steps.join(", ")})`,
    );
    expect(r.boot.flags).toEqual([]);
    // The device started with a full log (256 verdicts, 32 runs): this run's records read from it, and it stays full.
    expect(r.log).toEqual(["OK time", "OK qr", "NOT_A_CREDENTIAL qr", "REPLAYED qr", "NOT_A_CREDENTIAL qr"]);
    expect(r.logCount).toBeGreaterThanOrEqual(288);
    expect(r.after.flags).toEqual([]);
    expect(r.after.usage).toBeLessThan(r.after.total);
  }, 1_500_000);
});
