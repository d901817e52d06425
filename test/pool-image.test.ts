// The flashed Espruino image within a board's fixed pool of variables
// (test/support/pool-image.ts). ESPRUINO_POOL names an Espruino for Linux
// built 32-bit with the pool of the smallest board the README says takes the
// image; ESPRUINO the normal build that writes Storage. Espruino is not a
// Debian package and its binaries are never committed: without both this
// says loudly that it skipped.
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

const big = process.env.ESPRUINO;
const pool = process.env.ESPRUINO_POOL;
if (!big || !pool) {
  console.warn("\n*** SKIPPED: ESPRUINO and ESPRUINO_POOL are not both set: the flashed image was not run on a fixed variable pool ***\n");
}

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

  it("boots from Storage, is provisioned, makes its tables and verifies a scan without a memory error", async (ctx) => {
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
