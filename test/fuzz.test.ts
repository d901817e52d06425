// The fuzz targets (fuzz/targets.ts) in a short run, and the fuzzing loop
// itself: coverage feedback must lead it to a bug that random inputs would
// not reach. `npm run fuzz` runs the long campaigns (README, "Fuzzing").
import { describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { counters } from "../fuzz/coverage";
import { Fuzzer } from "../fuzz/engine";
import { CORPUS_DIR, formatReport, fuzz } from "../fuzz/run";
import { TARGETS } from "../fuzz/targets";

describe("fuzzing", () => {
  it("every target runs its corpus and a few seconds of mutations with no crash and no hang", async () => {
    const names = Object.keys(TARGETS);
    const corpusSize = Object.fromEntries(names.map((t) => [t, readdirSync(join(CORPUS_DIR, t)).length]));
    // A failure names the input file (under the OS temp folder) to replay with npm run fuzz.
    const crashDir = mkdtempSync(join(tmpdir(), "pindai-fuzz-crashes-"));
    const reports = await fuzz({ targets: names, runs: 0, seconds: 2.5, hangSeconds: 10, save: false, seed: Date.now() % 1e9, crashDir });
    const text = reports.map(formatReport).join("\n");
    console.log(text);
    for (const r of reports) {
      expect(r.findings, `${r.target}:\n${text}`).toEqual([]);
      expect(r.seeds, `${r.target} runs its whole corpus in fuzz/corpus`).toBeGreaterThanOrEqual(corpusSize[r.target]);
      expect(r.seeds).toBeGreaterThan(0);
      expect(r.execs).toBeGreaterThan(r.seeds + 500);
      expect(r.covered / r.edges, `${r.target} covers its parser`).toBeGreaterThan(0.5);
    }
  }, 120_000);

  it("coverage feedback finds a bug behind four nested byte compares (1 in 2^32 at random)", () => {
    const hit = (id: number) => counters[id]++;
    const target = {
      maxLen: 64,
      run(d: Uint8Array) {
        hit(0);
        if (d[0] !== 0x50) return;
        hit(1);
        if (d[1] !== 0x44) return;
        hit(2);
        if (d[2] !== 0x31) return;
        hit(3);
        if (d[3] === 0x3a) throw new Error("planted");
      },
    };
    const r = new Fuzzer(target, { runs: 300_000, ms: 0, edgeCount: 4, seed: 12345 }).loop([new Uint8Array(4)]);
    expect(r.crashes.map((c) => c.message)).toEqual(["Error: planted"]);
    expect(Array.from(r.crashes[0].input.subarray(0, 4))).toEqual([0x50, 0x44, 0x31, 0x3a]);
  });

  it("a run that never returns is reported as a hang, with its input, and a throw as a crash", async () => {
    const module = join(mkdtempSync(join(tmpdir(), "pindai-fuzz-test-")), "planted.cjs");
    writeFileSync(
      module,
      `exports.hang = { maxLen: 8, run(d) { if (d.length === 3) for (;;) {} } };
       exports.crash = { maxLen: 8, run(d) { if (d.length === 2) throw new RangeError("planted " + d.length); } };`,
    );
    const [hang, crash] = await fuzz({ targets: ["hang", "crash"], runs: 5000, seconds: 0, hangSeconds: 1, save: false, seed: 1, module });
    expect(hang.findings.map((f) => [f.kind, f.input.length])).toEqual([["hang", 3]]);
    expect(crash.findings.map((f) => [f.kind, f.message, f.input.length])).toEqual([["crash", "RangeError: planted 2", 2]]);
  }, 60_000);
});
