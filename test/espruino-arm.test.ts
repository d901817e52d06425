// The native kernel through E.nativeCall in Espruino itself: the conformance
// bundle, with the kernel's prelude in front (as npm run build puts it in
// front of a Cortex-M image), on an Espruino built for 32-bit ARM Linux
// (ESPRUINO_ARM names it) under qemu-arm, against every Wycheproof case,
// with and without the tables; and its cost in instructions (exact counts,
// not timings) stays under the goal of 100 M per verification.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { buildEspruinoBundle } from "./support/espruino";
import { kernelPrelude } from "../host/build/espruino-kernel";
import { armToolsMissing, runOnArm, type Call } from "../bench/espruino-arm/run";
import { measureEspruinoArm } from "../bench/espruino-arm/bench";
import { haveTool } from "./support/tools";

const bin = process.env.ESPRUINO_ARM;
if (!bin) console.warn("\n*** SKIPPED: ESPRUINO_ARM is not set: the native kernel was not run through E.nativeCall in Espruino (test/espruino-kernel.test.ts still ran it bare-metal) ***\n");
const ready = bin !== undefined && haveTool("arm-none-eabi-gcc") && armToolsMissing() === "";
if (bin && !ready) console.warn(`\n*** SKIPPED: Espruino on ARM needs ${armToolsMissing() || "arm-none-eabi-gcc"} ***\n`);

interface Case {
  tcId: number;
  comment: string;
  pk: string;
  msg: string;
  sig: string;
  result: string;
}

describe.skipIf(!ready)("the native kernel through E.nativeCall on Espruino for ARM (ESPRUINO_ARM)", () => {
  it("verifies every Wycheproof case as Wycheproof says, without and with the tables, and hashes every padding boundary", async () => {
    const file = JSON.parse(readFileSync(new URL("./vectors/wycheproof_ed25519_test.json", import.meta.url), "utf8"));
    const cases: Case[] = [];
    for (const g of file.testGroups) for (const t of g.tests) cases.push({ pk: g.publicKey.pk, ...t });
    const calls: Call[] = cases.map((c) => ["ed25519", c.pk, c.msg, c.sig]);
    const tabled = cases.filter((c) => c.result === "valid").slice(0, 8);
    for (const c of tabled) calls.push(["ed25519Tabled", c.pk, c.msg, c.sig]);
    const sizes = [0, 111, 112, 127, 128, 239, 240, 1500];
    for (const n of sizes) calls.push(["sha512Hex", "a5".repeat(n)]);
    const bundle = await buildEspruinoBundle("test/conformance/core-entry.ts");
    const r = runOnArm(bin as string, bundle, calls, kernelPrelude());
    cases.forEach((c, i) => expect(r[i].result === "OK", `tcId ${c.tcId} ${c.comment}: ${r[i].result}`).toBe(c.result === "valid"));
    tabled.forEach((c, i) => expect(r[cases.length + i].result, `tabled tcId ${c.tcId}`).toBe("OK"));
    sizes.forEach((n, i) => {
      expect(r[cases.length + tabled.length + i].result).toBe(createHash("sha512").update(Buffer.alloc(n, 0xa5)).digest("hex"));
    });
  }, 1_200_000);

  it("costs under 100 M instructions per verification and per device scan (counted, so exact)", async () => {
    const bundle = await buildEspruinoBundle("test/conformance/core-entry.ts");
    const f = measureEspruinoArm(bin as string, bundle, kernelPrelude());
    expect(f.verify).toBeLessThan(100e6);
    expect(f.tabled).toBeLessThan(f.verify);
    expect(f.device).toBeLessThan(110e6);
  }, 1_200_000);
});
