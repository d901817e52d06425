// npm run bench, Espruino on ARM: the project's Espruino bundle (the
// conformance entry, minified as the image is) on an Espruino built for ARM
// (ESPRUINO_ARM), counted in instructions under qemu-arm (run.ts), without
// and with the native kernel (firmware/targets/espruino/native); and the
// kernel's own calls counted bare-metal on the Cortex-M4 model (kernel-m4.ts).
import { fileURLToPath } from "node:url";
import { buildEspruinoBundle } from "../../test/support/espruino";
import { buildKernel, kernelPrelude, kernelToolsMissing } from "../../host/build/espruino-kernel";
import { modelCalls } from "../cortex-m";
import { table } from "../measure";
import { armToolsMissing, runOnArm, type Call } from "./run";
import { KERNEL_M4_TOOLS, runKernelM4 } from "./kernel-m4";
import { scanSteps } from "./steps";
import { spawnSync } from "node:child_process";

/** Seconds at `mhz` for a count, with the README's CPI of 1.25 (a floor: an interpreter from flash does worse). */
const seconds = (n: number, mhz: number) => ((n * 1.25) / (mhz * 1e6)).toFixed(2);
const M = (n: number) => (n / 1e6).toFixed(1);

export interface EspruinoArmFigures {
  verify: number;
  tabled: number;
  device: number;
}

/** Instructions per verification (no tables, tables) and per device scan (tables made at boot); the first calls warm up or make the tables. */
export function measureEspruinoArm(bin: string, bundle: string, prelude: string): EspruinoArmFigures {
  const c = modelCalls();
  const calls: Call[] = [c.verify, c.verify, c.tabled, c.tabled, c.device, c.device];
  const r = runOnArm(bin, bundle, calls, prelude);
  for (const x of r) if (!x.result.startsWith("OK")) throw new Error("an Espruino-on-ARM call did not verify: " + x.result);
  return { verify: r[1].instructions, tabled: r[3].instructions, device: r[5].instructions };
}

/** The kernel's own calls on the Cortex-M4 model: a Straus product, a table product, an inversion, SHA-512 of 264 bytes. */
async function kernelCalls(): Promise<string[][]> {
  const c = modelCalls();
  const sig = Buffer.from(c.verify[3], "hex");
  const s = sig.subarray(32).toString("hex");
  const by = "58" + "66".repeat(31);
  const bx = "1ad5258f602d56c9b2a7259560c72c695cdcd6fd31e2a4c0fe536ecdd3366921";
  const lines = [`S ${s} ${bx} ${by} ${s} ${bx} ${by}`, `F ${by} ${bx}`, `H ${"07".repeat(264)}`, `R ${"ab".repeat(64)}`];
  const r = await runKernelM4(lines);
  const M = (n: number) => (n / 1e6).toFixed(3);
  return [
    ["Straus [s1]P1 + [s2]P2 (a verification's products)", M(r[0].instructions)],
    ["field mul, sqr, add, sub, 1/z, z^((p-5)/8), each packed", M(r[1].instructions)],
    ["SHA-512 of 264 bytes", M(r[2].instructions)],
    ["64 bytes mod L", M(r[3].instructions)],
  ];
}

export async function benchEspruinoArm(): Promise<void> {
  const bin = process.env.ESPRUINO_ARM;
  if (!bin) {
    console.log("\n(set ESPRUINO_ARM to an Espruino built for 32-bit ARM Linux for the Espruino-on-ARM instruction counts: see README)");
    return;
  }
  const missing = armToolsMissing() || kernelToolsMissing();
  if (missing) {
    console.log(`\n(Espruino on ARM: ${missing} is missing)`);
    return;
  }
  const bundle = await buildEspruinoBundle("test/conformance/core-entry.ts");
  const portable = measureEspruinoArm(bin, bundle, "");
  const kernel = measureEspruinoArm(bin, bundle, kernelPrelude());
  const row = (what: string, n: number) => [what, M(n), seconds(n, 64), seconds(n, 240)];
  table(
    `Espruino on ARM (${bin} under qemu-arm, instructions counted; the call's hex arguments decoded in it, as on every runtime)`,
    ["Espruino, the conformance bundle", "M instructions", "s at 64 MHz", "s at 240 MHz"],
    [
      row("Ed25519 verify, portable, no tables", portable.verify),
      row("Ed25519 verify, portable, tables", portable.tabled),
      row("a device scan, portable (key set loaded, tables made)", portable.device),
      row(`Ed25519 verify, native kernel (${buildKernel().code.length} bytes), no tables`, kernel.verify),
      row("Ed25519 verify, native kernel, tables", kernel.tabled),
      row("a device scan, native kernel", kernel.device),
    ],
  );
  table(
    "Where a device scan's instructions go, native kernel (each step alone, on the scan's own inputs: bench/espruino-arm/steps.ts)",
    ["step", "M instructions"],
    (await scanSteps(bin, true)).map(([what, n]) => [what, M(n)]),
  );
  if (KERNEL_M4_TOOLS.every((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status === 0)) {
    table("The kernel's calls on the Cortex-M4 model (qemu-system-arm -icount shift=0)", ["call", "M instructions"], await kernelCalls());
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchEspruinoArm();
