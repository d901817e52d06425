// npm run bench, Espruino's variables: what each step of the pool test needs
// of a pool. The flashed image runs on a fixed-pool Espruino for Linux
// (ESPRUINO_POOL, 32-bit, 13-byte variables as on the boards; ESPRUINO, the
// normal build, writes its Storage) with every part dropped as soon as its
// last call returns, as on a board short of variables, and the variables in
// use (collected) written at each part's load and last return
// (test/support/pool-image.ts, demandImage). Run it on a pool the image
// fits (the Pico's 5,100 or 8,191); the highest figure of a step is what a
// smaller pool would need for it, at the part boundaries (a verification's
// own peak between two of them is not seen: a lower bound).
import { fileURLToPath } from "node:url";
import { runImageOnPool } from "../test/support/pool-image";
import { table } from "./measure";

/** The boards' pools (README, "Memory"): Puck.js, MDBT42Q and Pixl.js, the Pico. */
const BOARDS = [2630, 2950, 5100];

export async function benchEspruinoPool(): Promise<void> {
  const big = process.env.ESPRUINO;
  const pool = process.env.ESPRUINO_POOL;
  if (!big || !pool) {
    console.log("\n(set ESPRUINO and ESPRUINO_POOL to measure what each step needs of Espruino's variables: see README, Memory)");
    return;
  }
  console.log("\nEspruino's variables: each step of the pool test on " + pool + ", parts dropped at their last return (a few minutes)");
  const r = await runImageOnPool(big, pool, { demand: true });
  const d = r.demand ?? {};
  table(
    `what each step needs of a pool (variables in use at the part boundaries; a boot's pool ${r.boot.total}; the sampler after the first boot: ${r.usage.boot})`,
    ["step", "most in use", ...BOARDS.map((n) => `fits ${n.toLocaleString("en")}?`)],
    Object.keys(d).map((step) => [step, String(d[step]), ...BOARDS.map((n) => (d[step] <= n ? "yes" : `no, ${d[step] - n} over`))]),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchEspruinoPool();
