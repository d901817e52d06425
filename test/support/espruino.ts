// Run firmware code as an Espruino image: a TypeScript entry is bundled by
// rollup exactly as the device image is (rollup.config.js, minified), checked
// by host/build/espruino-check.ts, then run either in a Node vm sandbox that
// exposes only what Espruino 2v29 has, or by a real Espruino binary.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import vm from "node:vm";
import { rollup } from "rollup";
// @ts-expect-error plain JS config
import { espruinoConfig } from "../../rollup.config.js";
import { checkEspruino } from "../../host/build/espruino-check";
import type { LuaRunner as Runner } from "./lua";

const built: Record<string, string> = {};

/** Bundle `entry` into an iife that defines the global `conformance`; returns the file path. */
export async function buildEspruinoBundle(entry: string, minify = true): Promise<string> {
  const key = entry + (minify ? ":min" : "");
  if (built[key]) return built[key];
  const dir = join(tmpdir(), "pindai-espruino", String(process.pid)); // per process: see test/support/lua.ts
  mkdirSync(dir, { recursive: true });
  const file = join(dir, entry.replace(/[^A-Za-z0-9]/g, "_") + (minify ? ".min" : "") + ".js");
  const config = espruinoConfig({ input: entry, file, name: "conformance", minify });
  const bundle = await rollup({ input: config.input, plugins: config.plugins, onwarn: config.onwarn });
  await bundle.write(config.output);
  await bundle.close();
  const findings = checkEspruino(readFileSync(file, "utf8"));
  if (findings.length > 0) {
    throw new Error(`${entry}: not Espruino-compatible:\n` + findings.map((f) => `  line ${f.line}: ${f.what}`).join("\n"));
  }
  built[key] = file;
  return file;
}

// What Espruino lacks (../shared/RUNTIMES.md), removed from a fresh context.
const PRELUDE = `
for (const g of ["BigInt", "Map", "Set", "WeakMap", "WeakSet", "Symbol", "Proxy", "Reflect",
                 "TextDecoder", "TextEncoder", "performance", "setImmediate", "queueMicrotask",
                 "structuredClone", "WeakRef", "FinalizationRegistry", "SharedArrayBuffer", "Atomics", "Intl"]) {
  delete globalThis[g];
}
for (const m of ["imul", "clz32", "fround", "trunc", "sign", "log2"]) delete Math[m];
delete Array.from; delete Array.of;
delete Number.isInteger; delete Object.freeze; delete String.fromCodePoint;
for (const t of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array]) {
  delete Object.getPrototypeOf(t).from; delete Object.getPrototypeOf(t).of;
}
`;

/**
 * Espruino's native E.convolve as its source defines it (jswrap_espruino.c:
 * a double sum of arr1[i] * arr2[(i + offset) mod arr2.length]), so the
 * sandbox takes the same E.convolve field product a device does. The real
 * interpreter (ESPRUINO) checks this against the real thing.
 */
export function convolve(arr1: ArrayLike<number>, arr2: ArrayLike<number>, offset: number): number {
  const l = arr2.length;
  let o = (offset | 0) % l;
  if (o < 0) o += l;
  let v = 0;
  for (let i = 0; i < arr1.length; i++) v += arr1[i] * arr2[(i + o) % l];
  return v;
}

/** E.asUTF8: a byte string read as UTF-8 (Espruino's String.fromCharCode keeps 8 bits). */
export function asUTF8(s: string): string {
  return Buffer.from(s, "latin1").toString("utf8");
}

/** The natives of Espruino's E that the firmware uses where they exist. */
export const ESPRUINO_E = { convolve, asUTF8 };

/** The bundle in a Node vm context with only Espruino's globals. */
export function sandboxRunner(bundlePath: string): Runner {
  const context = vm.createContext({ E: ESPRUINO_E });
  vm.runInContext(PRELUDE, context);
  vm.runInContext(readFileSync(bundlePath, "utf8"), context, { filename: bundlePath });
  const mod = vm.runInContext("conformance", context) as Record<string, (...a: string[]) => string>;
  return {
    name: "Espruino globals sandbox",
    async callMany(calls) {
      return calls.map(([fn, ...args]) => {
        if (typeof mod[fn] !== "function") throw new Error(`bundle has no function ${fn}`);
        return String(mod[fn](...args));
      });
    },
    close() {},
  };
}

/** A real Espruino binary (the ESPRUINO environment variable names one). */
export function espruinoRunner(bin: string, bundlePath: string, timeoutMs = 600_000): Runner {
  const runner: Runner = {
    name: "espruino " + bin,
    async callMany(calls) {
      const script = join(tmpdir(), "pindai-espruino", String(process.pid), "run.js");
      mkdirSync(dirname(script), { recursive: true }); // a bundle built elsewhere (bench) made no folder here
      const driver = `
var calls = ${JSON.stringify(calls)};
var peak = 0;
for (var i = 0; i < calls.length; i++) {
  var c = calls[i];
  var r;
  var t0 = getTime();
  try { r = "OK\\t" + conformance[c[0]].apply(undefined, c.slice(1)); } catch (e) { r = "ERR\\t" + e; }
  var ms = (getTime() - t0) * 1000;
  console.log("@@" + i + "\\t" + r);
  console.log("@@T" + i + "\\t" + ms);
  var u = process.memory().usage;
  if (!(u < peak)) peak = u;
}
console.log("@@MEM\\t" + peak + "\\t" + process.memory().total);
`;
      writeFileSync(script, readFileSync(bundlePath, "utf8") + "\n" + driver);
      // Its cwd is the scratch folder: Espruino for Linux writes its Storage (espruino.flash) there, never
      // into the repository. SIGKILL on timeout: it ignores SIGTERM, and spawnSync would wait for it.
      const r = spawnSync(bin, [script], { cwd: dirname(script), encoding: "utf8", timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 1 << 26 });
      const results: string[] = [];
      runner.callMs = [];
      for (const m of r.stdout.matchAll(/^@@T(\d+)\t([\d.]+)/gm)) runner.callMs[Number(m[1])] = Number(m[2]);
      const mem = /@@MEM\t(\d+)\t(\d+)/.exec(r.stdout);
      if (mem) runner.peakMemory = `${mem[1]} of ${mem[2]} variables`;
      for (const line of r.stdout.split(/\r?\n/)) {
        const m = /^@@(\d+)\t(OK|ERR)\t(.*)$/.exec(line);
        if (!m) continue;
        if (m[2] !== "OK") throw new Error(`espruino: ${calls[Number(m[1])][0]} raised ${m[3]}`);
        results[Number(m[1])] = m[3];
      }
      if (results.length !== calls.length) throw new Error(`espruino gave ${results.length}/${calls.length} results: ${r.stdout.slice(-500)} ${r.stderr}`);
      return results;
    },
    close() {},
  };
  return runner;
}
