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
//
// Then the verification core alone (bench/espruino-verify-entry.ts, its code in Storage as
// the image's is), measured whole: the pool filled with ballast (an array of small numbers,
// a variable each) until only N variables are free, then a key set installed or a code
// scanned; the least N with which it still answers is what it needs, its peak included.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { issuePresentation } from "../host/issuer/issuer";
import { buildEspruinoBundle } from "../test/support/espruino";
import { runImageOnPool } from "../test/support/pool-image";
import { HOLDER, makeWorld } from "../sim/world";
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
    ["step", "most in use", ...BOARDS.map((n) => `fits ${n.toLocaleString("en")}?`), "parts loaded then"],
    Object.keys(d).map((step) => [step, String(d[step]), ...BOARDS.map((n) => (d[step] <= n ? "yes" : `no, ${d[step] - n} over`)), r.demandParts?.[step] || "-"]),
  );
  await benchVerificationNeed(big, pool);
}

interface Probe {
  /** In use before the bundle was evaluated, after, and before the measured step. */
  bare: number;
  loaded: number;
  before: number;
  /** The step's answer, undefined where it ran out. */
  answer?: string;
}

/** The verification core alone on the pool build, with `free` variables left free for `step`. */
function verificationProbe(pool: string, flash: Buffer): (step: "install" | "scan", free: number) => Probe {
  const now = Math.floor(Date.now() / 1000);
  const world = makeWorld(now, 2, "pool");
  const code = issuePresentation(world.qrSigner, HOLDER, { iat: now });
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  const args = [hex(world.keysetBytes), hex(world.roots[0].kid), hex(world.roots[0].publicKey)].map((a) => JSON.stringify(a)).join(",");
  const dir = mkdtempSync(join(tmpdir(), "pindai-verify-need-"));
  return (step, free) => {
    writeFileSync(join(dir, "espruino.flash"), flash);
    // (The driver, its strings included, is in use before the bundle: BARE.)
    const driver = `
var m = process.memory(); console.log("@@BARE " + m.usage);
eval(require("Storage").read("verify.js"));
m = process.memory(); console.log("@@LOADED " + m.usage);
${step === "scan" ? `console.log("@@INSTALL " + pindaiVerify.install(${args}));` : ""}
var B = [];
m = process.memory(); console.log("@@BEFORE " + m.usage);
while (process.memory(false).usage < m.total - ${free}) B.push(1);
var r = ${step === "scan" ? `pindaiVerify.scan(${JSON.stringify(code)}, ${now})` : `pindaiVerify.install(${args})`};
console.log("@@ANSWER " + r + " " + E.getErrorFlags());
`;
    writeFileSync(join(dir, "driver.js"), driver);
    const out = spawnSync(pool, ["driver.js"], { cwd: dir, encoding: "latin1", timeout: 300_000, killSignal: "SIGKILL" }).stdout;
    const num = (tag: string) => Number(new RegExp(`@@${tag} (\\d+)`).exec(out)?.[1] ?? NaN);
    const answer = /@@ANSWER (\S+) (\S*)/.exec(out);
    return { bare: num("BARE"), loaded: num("LOADED"), before: num("BEFORE"), answer: answer && !/MEMORY/.test(answer[2]) ? answer[1] : undefined };
  };
}

/** The least free variables with which `step` still answers `want`, to within 10. */
function leastFree(probe: (free: number) => Probe, want: string): { free: number; at: Probe } {
  let hi = 2000;
  let at = probe(hi);
  if (at.answer !== want) throw new Error(`with ${hi} free it answered ${at.answer ?? "nothing (out of memory)"}`);
  let lo = 0;
  while (hi - lo > 10) {
    const mid = Math.floor((lo + hi) / 2);
    const p = probe(mid);
    if (p.answer === want) [hi, at] = [mid, p];
    else lo = mid;
  }
  return { free: hi, at };
}

/** A table row: the core's code, what was in use before the step, what it needed free, and the sum (beyond the driver's own). */
function row(step: string, r: { free: number; at: Probe }): string[] {
  const before = r.at.before - r.at.bare;
  return [step, String(r.at.loaded - r.at.bare), String(before), String(r.free), String(before + r.free)];
}

/** What a verification itself needs of a pool, its peak included (the core alone, no device around it). */
export async function benchVerificationNeed(big: string, pool: string): Promise<void> {
  const bundle = readFileSync(await buildEspruinoBundle(fileURLToPath(new URL("./espruino-verify-entry.ts", import.meta.url))), "utf8").replace(/^var conformance\b/m, "var pindaiVerify");
  // The normal build writes the bundle to Storage; each probe starts from that flash file.
  const dir = mkdtempSync(join(tmpdir(), "pindai-verify-store-"));
  writeFileSync(join(dir, "store.js"), `require("Storage").write("verify.js", ${JSON.stringify(bundle)});print("<stored " + E.CRC32(require("Storage").read("verify.js")) + ">");quit();`);
  const stored = spawnSync(big, ["store.js"], { cwd: dir, encoding: "latin1", timeout: 120_000, killSignal: "SIGKILL" });
  if (!/<stored -?\d+>/.test(stored.stdout)) throw new Error("storing the verification bundle failed: " + stored.stdout.slice(-300));
  const probe = verificationProbe(pool, readFileSync(join(dir, "espruino.flash")));
  console.log("\nEspruino's variables: a verification alone (the core, its code in Storage), the pool filled with ballast until it fails (a minute or two)");
  const install = leastFree((f) => probe("install", f), "OK");
  const scan = leastFree((f) => probe("scan", f), "OK");
  table(
    `what a verification needs of ${pool}, beyond what is in use before it (to within 10 variables)`,
    ["step", "core's code and data", "in use before", "needs free", "in use at its peak"],
    [row("a key set installed (its root's signature)", install), row("a code scanned (VALID)", scan)],
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchEspruinoPool();
