// One fuzz target in a worker thread (bundled and instrumented by
// fuzz/instrument.ts). The parent watches `progress` to catch hangs: a run
// that never returns cannot report itself.
import "./coverage"; // first: instrumented modules call Fuzzer.* as they load
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { Fuzzer } from "./engine";
import { TARGETS } from "./targets";

export interface WorkerJob {
  target: string;
  runs: number;
  ms: number;
  seed: number;
  edgeCount: number;
  /** The committed seed corpus (read only). */
  corpusDir: string;
  /** Earlier runs' finds, read as seeds, and where this run's go (ignored by git). */
  foundDir: string;
  /** Write inputs that reach new coverage into foundDir. */
  save: boolean;
  /** A CommonJS module with more (uninstrumented) targets: the tests' planted bugs. */
  module?: string;
  /** Int32 [execs, input length] then the current input's bytes. */
  progress: SharedArrayBuffer;
}

const job = workerData as WorkerJob;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const target = TARGETS[job.target] ?? (job.module ? require(job.module)[job.target] : undefined);
if (target === undefined) throw new Error(`no fuzz target "${job.target}"`);
const head = new Int32Array(job.progress, 0, 2);
const current = new Uint8Array(job.progress, 8);

function readCorpus(dir: string): Uint8Array[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.map((n) => new Uint8Array(readFileSync(join(dir, n))));
}

// The committed corpus is only read; what this run finds goes to the ignored fuzz/found/TARGET/.
if (job.save) mkdirSync(job.foundDir, { recursive: true });
const seeds = [...readCorpus(job.corpusDir), ...readCorpus(job.foundDir)];
const fuzzer = new Fuzzer(target, {
  runs: job.runs,
  ms: job.ms,
  edgeCount: job.edgeCount,
  seed: job.seed,
  onInput(d) {
    const n = Math.min(d.length, current.length);
    current.set(d.subarray(0, n));
    head[1] = n;
    Atomics.add(head, 0, 1);
  },
  onNew(d) {
    if (job.save) writeFileSync(join(job.foundDir, createHash("sha1").update(d).digest("hex")), d);
  },
});
const r = fuzzer.loop(seeds);
parentPort!.postMessage({
  execs: r.execs,
  ms: r.ms,
  corpus: r.corpus,
  seeds: seeds.length,
  covered: r.covered,
  crashes: r.crashes.map((c) => ({ input: c.input, message: c.message })),
});
