// npm run build [-- --config FILE] [--out DIR]
// Builds the device images from one build config:
//   dist/espruino/pindai.js  rollup bundle, minified, checked against Espruino's globals
//   dist/lua/pindai.lua      typescript-to-lua bundle (Lua 5.3 and 5.4)
// The root public keys and the build time are compiled in. Without roots an
// image can never install a key set, so it never says OK: the build says so.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { withLuaNatives } from "./lua-natives";
import { withLazyFunctions } from "./lua-lazy";
import { kernelPrelude, kernelToolsMissing } from "./espruino-kernel";
import type { BuildConfig } from "../../firmware/targets/device";
import { parseRoot } from "../issuer/trust";
import { CliError } from "../issuer/errors";
import { FolderError, makeFolder } from "../../firmware/targets/node/make-folder";
import { describeBuild, readBuildFile, resolveBuild, type BuildFile, type EffectiveBuild, type TargetName } from "./config";

export type { BuildFile };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** A target's bundler: the generated entry in, the image at `out`. Loads its own compilers. */
type Bundler = (entry: string, out: string, b: EffectiveBuild, log: (s: string) => void) => Promise<void>;

/**
 * The targets, one entry each. A target is a folder firmware/targets/NAME
 * whose main.ts exports start(config, options), a line here, and its
 * options' defaults and shape in config.ts TARGET_OPTIONS; the build
 * config's NAME block, merged over those defaults, gives the options.
 */
interface Target {
  name: TargetName;
  out: string;
  note: string;
  bundle: Bundler;
  /** Exports added to the generated entry, after `device`. */
  entryTail?: string;
}

const LUA_ADMIN =
  `/** The admin line, for the stdio host loop: image.admin(line) returns the reply line. */\n` +
  `export function admin(line: string): string {\n  return device.admin(line);\n}\n`;

const TARGETS: Target[] = [
  { name: "espruino", out: "espruino/pindai.js", note: "Espruino, minified, checked", bundle: bundleEspruino },
  { name: "lua", out: "lua/pindai.lua", note: "Lua 5.3/5.4, Lua natives in front", bundle: bundleLua, entryTail: LUA_ADMIN },
];

export type BuildResult = Record<TargetName, string> & { sizes: Record<TargetName, number>; config: BuildConfig };

let buildCount = 0;

/** A root of the config; its errors name the config key, not a command-line option. */
function rootOf(spec: string, i: number) {
  try {
    return parseRoot(spec);
  } catch (e) {
    throw new CliError(`roots[${i}]: ${(e as Error).message.replace(/^--root: /, "")}`);
  }
}

/** Espruino: rollup as rollup.config.js says, then the compatibility check on the output. */
async function bundleEspruino(entry: string, out: string, b: EffectiveBuild, log: (s: string) => void): Promise<void> {
  const { rollup } = await import("rollup");
  // @ts-expect-error plain JS config
  const { espruinoConfig } = await import("../../rollup.config.js");
  const { checkEspruino } = await import("./espruino-check");
  const rc = espruinoConfig({ input: entry, file: out, name: "pindaiImage", topLevel: true, parts: true });
  const bundle = await rollup({ input: rc.input, plugins: rc.plugins, onwarn: rc.onwarn });
  await bundle.write(rc.output);
  await bundle.close();
  const findings = checkEspruino(readFileSync(out, "utf8"));
  if (findings.length > 0) {
    throw new Error("the Espruino image uses what Espruino lacks:\n" + findings.map((f) => `  line ${f.line}: ${f.what}`).join("\n"));
  }
  // ARM Cortex-M boards: the native kernel in front, handed to the core as its natives.
  if (b.espruinoCortexM === true) {
    const missing = kernelToolsMissing();
    if (missing) log(`espruinoCortexM: ${missing} is not installed: the Espruino image is built without the native kernel (portable, about 130x slower on a Cortex-M)`);
    else writeFileSync(out, kernelPrelude() + readFileSync(out, "utf8"));
  }
  const nonAscii = /[^\x00-\x7f]/.exec(readFileSync(out, "utf8"));
  if (nonAscii) throw new Error("the Espruino image is not ASCII (the uploader would turn it into '?')");
  // Every Storage file the image is flashed as is one the firmware knows as its own (else it would erase it at boot).
  const { espruinoStorageFiles } = await import("../src/flash-espruino");
  const { isImageFile } = await import("../../firmware/app/device-files");
  for (const f of espruinoStorageFiles(readFileSync(out, "latin1"))) {
    if (!isImageFile(f.name)) throw new Error(`the Espruino image's file ${f.name} is not named in firmware/app/device-files.ts IMAGE_FILES`);
  }
}

/** Lua: one bundle, minimal lualib, then the Lua natives in front, and its functions loaded on first call (not for LFS). */
async function bundleLua(entry: string, out: string, b: EffectiveBuild, log: (s: string) => void): Promise<void> {
  const tstl = await import("typescript-to-lua");
  const ts = (await import("typescript")).default;
  makeFolder(dirname(out));
  const cfg = ts.readConfigFile(join(ROOT, "tsconfig.lua.json"), ts.sys.readFile).config;
  const options = ts.convertCompilerOptionsFromJson(cfg.compilerOptions, ROOT).options;
  const r = tstl.transpileFiles([entry], { ...options, ...cfg.tstl, luaBundle: out, luaBundleEntry: entry } as import("typescript-to-lua").CompilerOptions);
  if (r.diagnostics.length > 0) {
    throw new Error("typescript-to-lua: " + r.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n"));
  }
  // The field arithmetic on Lua's 64-bit integers: about 8x fewer bytecodes per verification.
  // The Lua device makes no Ed25519 tables (firmware/targets/lua/main.ts): its natives carry no table path.
  const withNatives = withLuaNatives(readFileSync(out, "utf8"), { tables: false });
  // For LFS every function stays: LFS keeps code in flash, and an LFS image has no file to read them back from.
  if (b.luaLfs) return writeFileSync(out, withNatives);
  const lazy = withLazyFunctions(withNatives);
  if (lazy.functions === 0) log("luac5.4 is not installed: the Lua image keeps all its functions in RAM (install lua5.4 for the smaller heap)");
  writeFileSync(out, lazy.image);
}

/** What an image compiles in from a build config (also what `pindai run` starts the Node target with). */
export function deviceConfig(file: BuildFile, buildTime: number): BuildConfig {
  return configOf(resolveBuild(file), buildTime);
}

function configOf(b: EffectiveBuild, buildTime: number): BuildConfig {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  return {
    version: b.version ?? pkg.version,
    buildTime,
    roots: b.roots.map((r, i) => {
      const k = rootOf(r, i);
      return { kid: Buffer.from(k.kid).toString("hex"), publicKey: Buffer.from(k.publicKey).toString("hex") };
    }),
    lang: b.lang,
    clearAfterMs: b.clearAfterMs,
    cardPollMs: b.cardPollMs,
    minKeysetVersion: b.minKeysetVersion,
    auditNik: b.auditNik,
    cardAuthMs: b.cardAuthMs,
  };
}

/** only: build just these targets (a test that needs one image); default all. */
export async function build(file: BuildFile, outDir: string, log: (s: string) => void = console.log, only?: TargetName[]): Promise<BuildResult> {
  const b = resolveBuild(file);
  if (b.auditNik !== "hmac" && b.auditNik !== "off") throw new Error(`auditNik must be "hmac" or "off", not ${JSON.stringify(b.auditNik)}`);
  if (!(Number.isInteger(b.cardAuthMs) && b.cardAuthMs > 0 && b.cardAuthMs <= 2000)) throw new Error("cardAuthMs must be a whole number of ms, 1 to 2000");
  // SOURCE_DATE_EPOCH makes builds reproducible; otherwise now.
  const config = configOf(b, Number(process.env.SOURCE_DATE_EPOCH ?? Math.floor(Date.now() / 1000)));
  log(describeBuild(b, TARGETS.map((t) => t.name)));
  if (config.roots.length === 0) log("warning: no roots in the build config: these images can never install a key set, so they never say OK");

  // The --out folder (its parent must exist) and one folder per target in it; never Node's recursive mkdir (it loops on /proc).
  makeFolder(outDir);
  for (const t of TARGETS) makeFolder(dirname(join(outDir, t.out)));
  // Generated entries live inside the repository (typescript-to-lua needs its sources under rootDir).
  const gen = join(ROOT, "dist", "gen", String(process.pid) + "-" + String(buildCount++));
  mkdirSync(gen, { recursive: true });
  const rel = (p: string) => relative(gen, join(ROOT, p)).replace(/\\/g, "/");
  const paths = {} as Record<TargetName, string>;
  const sizes = {} as Record<TargetName, number>;
  // Each image is written beside its place under a scratch name and renamed
  // into place only when every image is built: an interrupted or failed build
  // leaves the previous images whole (or none), never half a file.
  const pending: { scratch: string; out: string }[] = [];
  const dropScratch = () => {
    for (const p of pending) rmSync(p.scratch, { force: true });
    rmSync(gen, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    dropScratch();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    for (const t of TARGETS) {
      if (only !== undefined && !only.includes(t.name)) continue;
      const entry = join(gen, `${t.name}-entry.ts`);
      // The configured display's driver is the only one bundled (firmware/targets/NAME/display-TYPE.ts).
      const display = (b[t.name] as { display?: { type: string } }).display;
      writeFileSync(
        entry,
        `// generated by npm run build\nimport { start } from "${rel(`firmware/targets/${t.name}/main`)}";\n` +
          (display ? `import { display } from "${rel(`firmware/targets/${t.name}/display-${display.type}`)}";\n` : "") +
          `export const device = start(${JSON.stringify(config)}, ${JSON.stringify(b[t.name])}${display ? ", display" : ""});\n` +
          (t.entryTail ?? ""),
      );
      if (!display) log(`warning: no display in the ${t.name} block: that image shows nothing, the guard gets only the LEDs`);
      const out = join(outDir, t.out);
      const scratch = join(dirname(out), `.${basename(out)}.${process.pid}-${buildCount}.partial`);
      pending.push({ scratch, out });
      await t.bundle(entry, scratch, b, log);
      paths[t.name] = out;
      sizes[t.name] = statSync(scratch).size;
    }
    for (const p of pending) renameSync(p.scratch, p.out);
    for (const t of TARGETS) if (paths[t.name]) log(`${relative(process.cwd(), paths[t.name])}  ${sizes[t.name]} bytes (${t.note})`);
  } finally {
    dropScratch(); // scratch: only the images stay
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
  log(`version ${config.version}, built ${new Date(config.buildTime * 1000).toISOString()}, ${config.roots.length} root(s)`);
  return { ...paths, sizes, config };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let file: BuildFile = {};
  let out = "dist";
  try {
    const { values } = parseArgs({ options: { config: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } } });
    if (values.help) {
      console.log(
        "npm run build [-- --config FILE] [--out DIR]\n\nFILE is JSON: { roots: [hex | key file], version, lang, clearAfterMs, cardPollMs, espruino: {...}, lua: {...} };\n" +
          "a target block (espruino, lua) merges over its defaults key by key, null turns a default off; the build prints the effective config.\n" +
          "examples/agency-build.json has every key and README.md (Device images) says what each does.",
      );
      process.exit(0);
    }
    if (values.config) {
      file = readBuildFile(values.config);
      // Key files named in the config are found beside it, as well as from here.
      const base = dirname(resolve(values.config));
      file.roots = (file.roots ?? []).map((r) => (/^[0-9a-fA-F]{64}$/.test(r) || existsSync(r) || !existsSync(join(base, r)) ? r : join(base, r)));
    }
    out = values.out ?? out;
    if (existsSync(out) && !statSync(out).isDirectory()) throw new CliError(`--out ${out} is a file: give a folder for the images`);
  } catch (e) {
    console.error("build: " + (e as Error).message.split("\n")[0]);
    process.exit(e instanceof CliError ? e.exitCode : 2); // a config that cannot be read: 1; a wrong one: 2
  }
  build(file, resolve(out)).catch((e) => {
    // A folder that cannot be made is one sentence (exit 1, as any failure); a config error is usage (2).
    console.error((e instanceof FolderError ? "build: " : "build failed: ") + (e as Error).message);
    process.exit(e instanceof CliError ? e.exitCode : 1);
  });
}
