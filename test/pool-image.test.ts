// The flashed Espruino image within a board's fixed pool of variables
// (test/support/pool-image.ts). ESPRUINO_POOL names an Espruino for Linux
// built 32-bit with the pool of the smallest board the README says takes the
// image; ESPRUINO the normal build that writes Storage. Espruino is not a
// Debian package and its binaries are never committed: without both this
// says loudly that it skipped.
import { describe, expect, it } from "vitest";
import { haveTool } from "./support/tools";
import { runImageOnPool } from "./support/pool-image";

const big = process.env.ESPRUINO;
const pool = process.env.ESPRUINO_POOL;
if (!big || !pool) {
  console.warn("\n*** SKIPPED: ESPRUINO and ESPRUINO_POOL are not both set: the flashed image was not run on a fixed variable pool ***\n");
}

describe.skipIf(!big || !pool)("the flashed Espruino image on a fixed pool (ESPRUINO_POOL)", () => {
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
