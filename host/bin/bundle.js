// The CLI as one esbuild bundle (plus a chunk per command, loaded when it
// runs), so `pindai` starts in about the time Node itself does instead of
// compiling TypeScript through tsx on every call. Made by `npm ci` (the
// prepare script) and again on the first run after any of its sources
// changed: bundle.json lists every input with its size and time, and a start
// checks them (a few hundred stat calls, ~2 ms). Without esbuild (an install
// without dev dependencies) the caller falls back to tsx.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Ignored by git (.gitignore); one folder per build, the newest named in bundle.json. */
export const BUNDLE_DIR = join(ROOT, "host/bin/.bundle");
const META = join(BUNDLE_DIR, "bundle.json");
const ENTRY = join(ROOT, "host/src/cli.ts");

function stamp(path) {
  const st = statSync(path);
  return `${st.size}:${st.mtimeMs}`;
}

/** The bundle's entry file when it is there and every input is unchanged, else undefined. */
export function freshBundle() {
  let meta;
  try {
    meta = JSON.parse(readFileSync(META, "utf8"));
    for (const [file, s] of Object.entries(meta.inputs)) if (stamp(join(ROOT, file)) !== s) return undefined;
    statSync(meta.entry);
  } catch {
    return undefined;
  }
  return meta.entry;
}

/**
 * Builds the bundle into a new folder and names it in bundle.json (written
 * whole, then renamed: a concurrent start reads the old one or the new one).
 * Folders of earlier builds older than an hour are removed (a long-running
 * command may still load a chunk from a recent one).
 */
export async function makeBundle() {
  const esbuild = await import("esbuild");
  const out = join(BUNDLE_DIR, `${Date.now().toString(36)}-${process.pid}`);
  // Each source's import.meta.url stays its own file's URL: paths beside it (package.json, boards, fonts) still resolve.
  const metaUrl = {
    name: "source-import-meta-url",
    setup(build) {
      build.onLoad({ filter: /\.(ts|js)$/ }, async (args) => {
        if (args.path.includes("/node_modules/")) return undefined;
        const text = readFileSync(args.path, "utf8");
        if (!text.includes("import.meta.url")) return undefined;
        return { contents: text.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)), loader: args.path.endsWith(".ts") ? "ts" : "js" };
      });
    },
  };
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { cli: ENTRY },
    outdir: out,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    metafile: true,
    logLevel: "silent",
    plugins: [metaUrl],
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) {
    if (file.startsWith("node_modules/") || file.includes(":")) continue;
    inputs[file] = stamp(join(ROOT, file));
  }
  const tmp = `${META}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ entry: join(out, "cli.js"), inputs }) + "\n");
  renameSync(tmp, META);
  for (const d of readdirSync(BUNDLE_DIR)) {
    const p = join(BUNDLE_DIR, d);
    if (p !== out && !d.endsWith(".json") && Date.now() - statSync(p).mtimeMs > 3600_000) rmSync(p, { recursive: true, force: true });
  }
  return join(out, "cli.js");
}

// `node host/bin/bundle.js` (npm's prepare): make it now.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const t = performance.now();
  await makeBundle();
  console.log(`pindai: CLI bundled in ${Math.round(performance.now() - t)} ms (host/bin/.bundle)`);
}
