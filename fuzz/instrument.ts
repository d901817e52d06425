// Build a fuzz worker: one CommonJS bundle (esbuild) in which every firmware
// module, and only those, is instrumented with Jazzer.js's babel plugins
// (edge counters and compare hooks). Returns the bundle's path and which edge
// ids belong to which source file (for coverage per parser).
import { mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build, transform } from "esbuild";
import { transformSync } from "@babel/core";
// Deep imports: the package's main module loads the libFuzzer addon, which we do not use.
import { codeCoverage } from "@jazzer.js/instrumentor/dist/plugins/codeCoverage.js";
import { compareHooks } from "@jazzer.js/instrumentor/dist/plugins/compareHooks.js";
import { MAX_EDGES } from "./coverage";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

// Not parsers: their compares do not depend on the input's shape, and
// instrumenting the hash and curve rounds would only slow every run.
const NOT_INSTRUMENTED = /firmware\/core\/(sha256|sha512|field25519|ed25519[-\w]*)\.ts$/;

export interface Instrumented {
  bundle: string;
  /** Source file (relative to the repository) -> the ids of its edges that are in the bundle. */
  edges: Record<string, number[]>;
  edgeCount: number;
}

export async function buildWorker(): Promise<Instrumented> {
  let next = 0;
  let fileStart = 0;
  const ranges: Record<string, [number, number]> = {};
  // Jazzer's EdgeIdStrategy: consecutive ids, and each file's range kept for the report.
  const idStrategy = {
    nextEdgeId(): number {
      if (next >= MAX_EDGES) throw new Error("more edges than fuzz/coverage.ts counts");
      return next++;
    },
    startForSourceFile(): void {
      fileStart = next;
    },
    commitIdCount(filename: string): void {
      ranges[relative(ROOT, filename)] = [fileStart, next];
    },
  };
  const dir = join(tmpdir(), "pindai-fuzz");
  mkdirSync(dir, { recursive: true });
  const bundle = join(dir, `worker-${process.pid}.cjs`);
  await build({
    entryPoints: [join(ROOT, "fuzz/worker.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    outfile: bundle,
    logLevel: "error",
    plugins: [
      {
        name: "jazzer-instrument-firmware",
        setup(b) {
          b.onLoad({ filter: /\/firmware\/.*\.ts$/ }, async (args) => {
            const { readFile } = await import("node:fs/promises");
            const ts = await readFile(args.path, "utf8");
            const js = (await transform(ts, { loader: "ts", format: "esm", target: "es2022", sourcefile: args.path })).code;
            if (NOT_INSTRUMENTED.test(args.path)) return { contents: js, loader: "js" };
            // Synchronous from here: loads run concurrently, and a file's edge ids must be consecutive.
            idStrategy.startForSourceFile();
            const out = transformSync(js, {
              filename: args.path,
              babelrc: false,
              configFile: false,
              sourceType: "module",
              plugins: [codeCoverage(idStrategy), compareHooks],
            });
            idStrategy.commitIdCount(args.path);
            return { contents: out!.code!, loader: "js" };
          });
        },
      },
    ],
  });
  // Code the bundler left out (functions no target calls) has no edges to reach.
  const present = new Set(Array.from(readFileSync(bundle, "utf8").matchAll(/incrementCounter\((\d+)\)/g), (m) => Number(m[1])));
  const edges: Record<string, number[]> = {};
  for (const [file, [a, b]] of Object.entries(ranges)) {
    edges[file] = [];
    for (let id = a; id < b; id++) if (present.has(id)) edges[file].push(id);
  }
  return { bundle, edges, edgeCount: next };
}
