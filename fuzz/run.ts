// Run the fuzz targets (fuzz/targets.ts), each in its own worker thread with a
// watchdog, and report executions, coverage, crashes and hangs per target.
// Used by `npm run fuzz` (fuzz/cli.ts) and by test/fuzz.test.ts.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { buildWorker, ROOT, type Instrumented } from "./instrument";
import { TARGET_FILES } from "./targets";

export const CORPUS_DIR = join(ROOT, "fuzz/corpus");
export const CRASH_DIR = join(ROOT, "fuzz/crashes");
/** New coverage a run finds: kept out of git (.gitignore), read back as seeds; fuzz/corpus/ is the committed seed corpus. */
export const FOUND_DIR = join(ROOT, "fuzz/found");

export interface FuzzOptions {
  targets: string[];
  runs: number; // per target; 0: no limit
  seconds: number; // per target; 0: no limit
  /** A run that takes longer than this is a hang. */
  hangSeconds: number;
  save: boolean;
  seed: number;
  /** List the code behind each edge of the target's files that no run reached. */
  showUncovered?: boolean;
  /** A CommonJS module with more targets (tests); they have no source files to cover. */
  module?: string;
  /** Where crash and hang inputs go (undefined: not written). */
  crashDir?: string;
  log?: (line: string) => void;
}

export interface Finding {
  kind: "crash" | "hang";
  message: string;
  input: Uint8Array;
  file?: string;
}

export interface TargetReport {
  target: string;
  execs: number;
  seconds: number;
  seeds: number;
  corpus: number;
  /** Edges hit in the target's own files, and how many they have. */
  covered: number;
  edges: number;
  findings: Finding[];
  /** With showUncovered: "file: code" for each edge not reached. */
  uncovered?: string[];
}

/** The instrumented code right after edge `id`'s counter: enough to find the spot in the source. */
function codeAt(bundleText: string, id: number): string {
  const mark = `Fuzzer.coverageTracker.incrementCounter(${id})`;
  const at = bundleText.indexOf(mark);
  if (at < 0) return "?";
  return bundleText
    .slice(at + mark.length, at + mark.length + 400)
    .replace(/Fuzzer\.coverageTracker\.incrementCounter\(\d+\)[;,]?\s*/g, "")
    .replace(/Fuzzer\.tracer\.trace\w+\(([^,]+), ([^,]+), "([^"]+)", \d+\)/g, "$1 $3 $2")
    .replace(/\s+/g, " ")
    .slice(0, 110);
}

const MAX_INPUT = 1 << 16;

function runTarget(build: Instrumented, target: string, o: FuzzOptions): Promise<TargetReport> {
  const progress = new SharedArrayBuffer(8 + MAX_INPUT);
  const head = new Int32Array(progress, 0, 2);
  const input = new Uint8Array(progress, 8);
  const worker = new Worker(build.bundle, {
    workerData: {
      target,
      runs: o.runs,
      ms: o.seconds * 1000,
      seed: o.seed,
      edgeCount: build.edgeCount,
      corpusDir: join(CORPUS_DIR, target),
      foundDir: join(FOUND_DIR, target),
      save: o.save,
      module: o.module,
      progress,
    },
  });
  const files = TARGET_FILES[target] ?? [];
  const own = (covered: Uint8Array | undefined) => {
    let hit = 0;
    let all = 0;
    for (const f of files) {
      const ids = build.edges[f] ?? [];
      all += ids.length;
      if (covered) for (const i of ids) hit += covered[i];
    }
    return { hit, all };
  };
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    let lastExecs = -1;
    let lastChange = performance.now();
    const watchdog = setInterval(() => {
      const execs = Atomics.load(head, 0);
      if (execs !== lastExecs) {
        lastExecs = execs;
        lastChange = performance.now();
        return;
      }
      if (performance.now() - lastChange < o.hangSeconds * 1000) return;
      clearInterval(watchdog);
      const stuck = input.slice(0, Atomics.load(head, 1));
      void worker.terminate();
      const { all } = own(undefined);
      resolve({
        target, execs, seconds: (performance.now() - t0) / 1000, seeds: 0, corpus: 0, covered: 0, edges: all,
        findings: [{ kind: "hang", message: `one run took over ${o.hangSeconds} s`, input: stuck }],
      });
    }, 200);
    worker.once("message", (m) => {
      clearInterval(watchdog);
      const { hit, all } = own(m.covered);
      const uncovered: string[] = [];
      if (o.showUncovered) {
        const text = readFileSync(build.bundle, "utf8");
        for (const f of files) for (const i of build.edges[f] ?? []) if (!m.covered[i]) uncovered.push(`${f}: ${codeAt(text, i)}`);
      }
      resolve({
        uncovered,
        target,
        execs: m.execs,
        seconds: m.ms / 1000,
        seeds: m.seeds,
        corpus: m.corpus,
        covered: hit,
        edges: all,
        findings: m.crashes.map((c: { input: Uint8Array; message: string }) => ({ kind: "crash", ...c })),
      });
    });
    worker.once("error", (e) => {
      clearInterval(watchdog);
      reject(e);
    });
  });
}

export async function fuzz(o: FuzzOptions): Promise<TargetReport[]> {
  const log = o.log ?? (() => {});
  const build = await buildWorker();
  const reports: TargetReport[] = [];
  for (const t of o.targets) {
    const r = await runTarget(build, t, o);
    if (o.crashDir) {
      for (const f of r.findings) {
        const dir = join(o.crashDir, t);
        mkdirSync(dir, { recursive: true });
        f.file = join(dir, `${f.kind}-${createHash("sha1").update(f.input).digest("hex")}`);
        writeFileSync(f.file, f.input);
      }
    }
    log(formatReport(r));
    reports.push(r);
  }
  return reports;
}

export function formatReport(r: TargetReport): string {
  const pct = r.edges ? ((100 * r.covered) / r.edges).toFixed(0) : "-";
  const rate = r.seconds > 0 ? Math.round(r.execs / r.seconds) : 0;
  const lines = [
    `${r.target.padEnd(13)} ${String(r.execs).padStart(9)} execs ${String(rate).padStart(6)}/s  ` +
      `edges ${r.covered}/${r.edges} (${pct}%)  corpus ${r.corpus} (seeds ${r.seeds})  ` +
      `crashes ${r.findings.filter((f) => f.kind === "crash").length}  hangs ${r.findings.filter((f) => f.kind === "hang").length}`,
  ];
  for (const f of r.findings) lines.push(`  ${f.kind}: ${f.message}${f.file ? ` (input: ${f.file})` : ""}`);
  for (const u of r.uncovered ?? []) lines.push(`  not reached: ${u}`);
  return lines.join("\n");
}
