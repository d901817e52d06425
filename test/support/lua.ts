// Run firmware code in the real Lua VM: a TypeScript entry file is compiled by
// typescript-to-lua into one bundle, then called either inside wasmoon (Lua
// 5.4 compiled to WebAssembly, always available) or by Debian's lua5.3/lua5.4.
//
// Entry files export functions that take and return strings (hex for bytes),
// so the same call runs unchanged on every runtime.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tstl from "typescript-to-lua";
import ts from "typescript";
import { LuaFactory } from "wasmoon";
import { withLuaNatives } from "../../host/build/lua-natives";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const built: Record<string, string> = {};

/**
 * Compile `entry` (a .ts path relative to the repo root) into one Lua file;
 * returns its path. With `natives`, the Lua natives come first (as in the
 * image); without, the core runs its portable path.
 */
export function buildLuaBundle(entry: string, luaTarget = "5.3", natives = false): string {
  const key = entry + "@" + luaTarget + (natives ? "+natives" : "");
  if (built[key]) return built[key];
  const cfg = ts.readConfigFile(join(ROOT, "tsconfig.lua.json"), ts.sys.readFile).config;
  const options = ts.convertCompilerOptionsFromJson(cfg.compilerOptions, ROOT).options;
  // One folder per process: test files in parallel, and other checkouts on the
  // same machine, build the same entry names (a shared file was overwritten mid-run).
  const dir = join(tmpdir(), "pindai-lua", String(process.pid));
  mkdirSync(dir, { recursive: true });
  // Named by checkout too (other worktrees share the temp dir), written under a
  // name of this process and renamed: test workers build the same bundles at once.
  const checkout = createHash("sha256").update(ROOT).digest("hex").slice(0, 8);
  const out = join(dir, entry.replace(/[^A-Za-z0-9]/g, "_") + "." + luaTarget + (natives ? ".natives" : "") + "." + checkout + ".lua");
  const partial = out + "." + process.pid + ".tmp";
  const entryPath = join(ROOT, entry);
  const result = tstl.transpileFiles([entryPath], {
    ...options,
    ...cfg.tstl,
    luaTarget,
    luaBundle: partial,
    luaBundleEntry: entryPath,
  } as tstl.CompilerOptions);
  if (result.diagnostics.length > 0) {
    const text = result.diagnostics
      .map((d) => `${d.file ? d.file.fileName : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`)
      .join("\n");
    throw new Error("typescript-to-lua failed:\n" + text);
  }
  if (!existsSync(partial)) throw new Error("typescript-to-lua wrote no bundle for " + entry);
  if (natives) writeFileSync(partial, withLuaNatives(readFileSync(partial, "utf8")));
  renameSync(partial, out);
  built[key] = out;
  return out;
}

export interface LuaRunner {
  name: string;
  /** Call exported functions in order; each result is the function's string result. */
  callMany(calls: Array<[string, ...string[]]>): Promise<string[]>;
  close(): void;
  /** Peak memory seen during the last callMany, where the runtime reports it. */
  peakMemory?: string;
  /** ms each call of the last callMany took, timed inside the runtime (where the runner can). */
  callMs?: number[];
}

/** Lua 5.4 inside Node (wasmoon). */
export async function wasmoonRunner(bundlePath: string): Promise<LuaRunner> {
  const lua = await new LuaFactory().createEngine();
  const mod = await lua.doString(readFileSync(bundlePath, "utf8"));
  const runner: LuaRunner = {
    name: "wasmoon (Lua 5.4)",
    async callMany(calls) {
      const out: string[] = [];
      const ms: number[] = [];
      for (const [fn, ...args] of calls) {
        if (typeof mod[fn] !== "function") throw new Error(`Lua bundle has no function ${fn}`);
        const t0 = performance.now();
        out.push(String(mod[fn](...args)));
        ms.push(performance.now() - t0);
      }
      runner.callMs = ms;
      return out;
    },
    close() {
      lua.global.close();
    },
  };
  return runner;
}

// Reads "fn<TAB>arg<TAB>arg" lines, writes "OK<TAB>result" or "ERR<TAB>message".
const DRIVER = `
local m = dofile(arg[1])
local peak = collectgarbage("count")
local times = {}
for line in io.lines() do
  local parts = {}
  for p in (line .. "\\t"):gmatch("([^\\t]*)\\t") do parts[#parts + 1] = p end
  local fn = table.remove(parts, 1)
  local t0 = os.clock()
  local ok, res = pcall(m[fn], table.unpack(parts))
  times[#times + 1] = string.format("%.3f", (os.clock() - t0) * 1000)
  local text = (tostring(res):gsub("[\\r\\n]", " "))
  io.write(ok and "OK\\t" or "ERR\\t", text, "\\n")
  local kb = collectgarbage("count")
  if kb > peak then peak = kb end
end
io.write("MEM\\t", string.format("%.0f", peak), "\\n")
io.write("TIMES\\t", table.concat(times, ","), "\\n")
`;

/** A system Lua interpreter (lua5.3 / lua5.4), one process per batch. */
export function nativeRunner(luaBin: string, bundlePath: string): LuaRunner {
  mkdirSync(join(tmpdir(), "pindai-lua", String(process.pid)), { recursive: true });
  const driver = join(tmpdir(), "pindai-lua", String(process.pid), "driver.lua");
  writeFileSync(driver, DRIVER);
  const runner: LuaRunner = {
    name: luaBin,
    async callMany(calls) {
      const input = calls.map((c) => c.join("\t")).join("\n") + "\n";
      const r = spawnSync(luaBin, [driver, bundlePath], { input, encoding: "utf8", maxBuffer: 1 << 28 });
      if (r.status !== 0) throw new Error(`${luaBin} failed: ${r.stderr}`);
      const all = r.stdout.split("\n");
      const mem = all.find((l) => l.startsWith("MEM\t"));
      if (mem) runner.peakMemory = `${mem.slice(4)} KB Lua heap (after each call)`;
      const times = all.find((l) => l.startsWith("TIMES\t"));
      runner.callMs = times ? times.slice(6).split(",").map(Number) : undefined;
      const lines = all.slice(0, calls.length);
      return lines.map((l, i) => {
        const tab = l.indexOf("\t");
        if (l.slice(0, tab) !== "OK") throw new Error(`${luaBin}: ${calls[i][0]} raised ${l.slice(tab + 1)}`);
        return l.slice(tab + 1);
      });
    },
    close() {},
  };
  return runner;
}
