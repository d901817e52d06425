// The Cortex-M4 cost model: Lua 5.3 / 5.4 built bare-metal with Debian's
// gcc-arm-none-eabi and newlib, run under qemu-system-arm -M mps2-an386
// -icount shift=0 -semihosting, where one instruction is one nanosecond of
// virtual time, so counts are exact and the same on every run. Lua's sources
// come from Debian's source package (apt-get source, needs a deb-src entry)
// and, like the build, are cached in the temp dir, never in the repository.
// Used by npm run bench and test/cortex-m.test.ts.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildLuaBundle } from "../test/support/lua";
import { table } from "./measure";
import { build } from "../host/build/build";
import { HOLDER, makeWorld } from "../sim/world";
import { issuePresentation } from "../host/src/issuer";
import { ed } from "../host/src/ed";
import { sha256 } from "@noble/hashes/sha2.js";

export type LuaVersion = "5.3" | "5.4";
type Call = [string, ...string[]];

const HERE = fileURLToPath(new URL("./lua-m4/", import.meta.url));
const CACHE = join(tmpdir(), "pindai-cortex-m");
const SOURCES = ["lua-m4.c", "startup.c", "m4.ld"];
/** -O2 as Lua's own Makefile; soft float: the M4 has no double-precision FPU. */
const CFLAGS = ["-O2", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft", "-ffunction-sections", "-fdata-sections"];
// Lua's Makefile flags per version, and a fixed string-hash seed (Lua seeds it
// from time(), which would make counts differ from run to run).
const LUA_FLAGS: Record<LuaVersion, string[]> = {
  "5.3": ["-DLUA_COMPAT_5_2", "-Dluai_makeseed()=0u"],
  "5.4": ["-DLUA_COMPAT_5_3", "-Dluai_makeseed(L)=0u"],
};

/** The tools the model needs (the Lua sources are fetched on first use). */
export const CORTEX_M_TOOLS = ["arm-none-eabi-gcc", "qemu-system-arm", "apt-get"];

function run(cmd: string, args: string[], cwd: string, timeout = 300_000): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(" ")} ... failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error)).slice(-600)}`);
  return r.stdout;
}

/** Lua's src/ directory from Debian's source package, unpacked once. */
export function luaSources(version: LuaVersion): string {
  const dir = join(CACHE, "src-" + version);
  if (existsSync(join(dir, "done"))) return readFileSync(join(dir, "done"), "utf8");
  mkdirSync(dir, { recursive: true });
  const r = spawnSync("apt-get", ["source", "--download-only", "-qq", "lua" + version], { cwd: dir, encoding: "utf8" });
  const orig = readdirSync(dir).find((f) => /^lua5\.\d_.*\.orig\.tar\.gz$/.test(f));
  if (orig === undefined) {
    throw new Error(
      `cannot fetch Lua ${version}'s sources with apt-get source (add a deb-src entry and run apt-get update, as .ci/run does): ${(r.stderr || "").trim().slice(-300)}`,
    );
  }
  run("tar", ["xzf", orig], dir);
  const top = readdirSync(dir).find((f) => f.startsWith("lua-") && existsSync(join(dir, f, "src", "lua.h")));
  if (top === undefined) throw new Error(`${orig} holds no src/lua.h`);
  const src = join(dir, top, "src");
  writeFileSync(join(dir, "done"), src);
  return src;
}

/** The bare-metal ELF for this Lua version, built once per source, flag and compiler change. */
export function buildLuaM4(version: LuaVersion): string {
  const src = luaSources(version);
  const gcc = run("arm-none-eabi-gcc", ["--version"], CACHE).split("\n")[0];
  const h = createHash("sha256").update([src, gcc, ...CFLAGS, ...LUA_FLAGS[version]].join("\n"));
  for (const f of SOURCES) h.update(readFileSync(join(HERE, f)));
  const elf = join(CACHE, `lua${version}-m4-${h.digest("hex").slice(0, 16)}.elf`);
  if (existsSync(elf)) return elf;
  const obj = mkdtempSync(join(CACHE, "build-"));
  try {
    const lua = readdirSync(src).filter((f) => f.endsWith(".c") && f !== "lua.c" && f !== "luac.c").map((f) => join(src, f));
    const flags = [...CFLAGS, ...LUA_FLAGS[version], "-I" + src];
    run("arm-none-eabi-gcc", [...flags, "-c", ...lua, join(HERE, "lua-m4.c"), join(HERE, "startup.c")], obj);
    const objects = readdirSync(obj).filter((f) => f.endsWith(".o"));
    const out = join(obj, "lua.elf");
    run("arm-none-eabi-gcc", [...CFLAGS, "-nostartfiles", "-T", join(HERE, "m4.ld"), "-Wl,--gc-sections", ...objects, "--specs=rdimon.specs", "-lm", "-o", out], obj);
    renameSync(out, elf); // atomic: a concurrent build finds a whole file or none
  } finally {
    rmSync(obj, { recursive: true, force: true });
  }
  return elf;
}

// Runs on the M4. With DUMP it first compiles the source to stripped bytecode
// in the VM (what NodeMCU's node.compile does on a device), then loads the
// bundle counting it, then makes each call of calls.txt ("fn<TAB>arg...").
const DRIVER = `
if DUMP then
  local f = assert(loadfile(SOURCE))
  local out = assert(io.open(BUNDLE, "wb"))
  out:write(string.dump(f, true))
  out:close()
  f = nil
end
collectgarbage()
if GCPAUSE then collectgarbage("setpause", GCPAUSE) end
m4.resetpeak()
local c = m4.count()
local m = dofile(BUNDLE)
c = m4.count() - c
local peak = m4.peak()
collectgarbage()
print("LOAD\\t" .. c .. "\\t" .. peak .. "\\t" .. m4.heap())
for line in io.lines("calls.txt") do
  local parts = {}
  for p in (line .. "\\t"):gmatch("([^\\t]*)\\t") do parts[#parts + 1] = p end
  local fn = table.remove(parts, 1)
  m4.resetpeak()
  c = m4.count()
  local ok, res = pcall(m[fn], table.unpack(parts))
  c = m4.count() - c
  peak = m4.peak()
  collectgarbage()
  print((ok and "OK" or "ERR") .. "\\t" .. c .. "\\t" .. peak .. "\\t" .. m4.heap() .. "\\t" .. (tostring(res):gsub("[\\r\\n\\t]", " ")))
end
`;

/** Run the ELF on the model with `dir` as the semihosting working directory; its stdout. */
function qemu(elf: string, dir: string): Promise<string> {
  const args = ["-M", "mps2-an386", "-cpu", "cortex-m4", "-icount", "shift=0", "-semihosting-config", "enable=on,target=native"];
  return new Promise((resolve, reject) => {
    const p = spawn("qemu-system-arm", [...args, "-nographic", "-monitor", "none", "-serial", "none", "-kernel", elf], { cwd: dir });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => p.kill(), 600_000); // a hung model must not hang the bench or the test
    p.on("error", reject);
    p.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`Lua on the M4 model failed (${code ?? signal}): ${(err + out).slice(-600)}`));
    });
  });
}

export interface M4Call {
  result: string;
  instructions: number;
  /** Most bytes the Lua allocator held during the call (everything loaded included). */
  peakHeap: number;
  /** Bytes held after the call and a full collection: what stays. */
  heapAfter: number;
}

export interface M4Run {
  load: { instructions: number; peakHeap: number; heapAfter: number };
  calls: M4Call[];
}

/** How the bundle is loaded and collected on the model. */
export interface LoadOptions {
  /** Compile the source to stripped bytecode in the VM first and load that. */
  bytecode?: boolean;
  /** Lua's GC pause in percent (default 200: collect when the heap has doubled). */
  gcPause?: number;
}

/** One QEMU run: load `bundle` and make the calls. */
export async function runOnM4(elf: string, bundle: string, calls: Call[], o: LoadOptions = {}): Promise<M4Run> {
  const dir = mkdtempSync(join(tmpdir(), "pindai-m4-run-"));
  try {
    copyFileSync(bundle, join(dir, "bundle.lua"));
    let head = o.bytecode ? 'DUMP = true\nSOURCE = "bundle.lua"\nBUNDLE = "bundle.luac"\n' : 'BUNDLE = "bundle.lua"\n';
    if (o.gcPause !== undefined) head += `GCPAUSE = ${Math.floor(o.gcPause)}\n`;
    writeFileSync(join(dir, "driver.lua"), head + DRIVER);
    writeFileSync(join(dir, "calls.txt"), calls.map((c) => c.join("\t")).join("\n") + "\n");
    const stdout = await qemu(elf, dir);
    const lines = stdout.split("\n");
    const load = lines.find((l) => l.startsWith("LOAD\t"));
    if (load === undefined) throw new Error("the M4 run printed no LOAD line: " + stdout.slice(-300));
    const [, li, lp, lh] = load.split("\t").map(Number);
    const out: M4Call[] = [];
    for (const l of lines) {
      const [status, n, peak, after, ...rest] = l.split("\t");
      if (status !== "OK" && status !== "ERR") continue;
      if (status === "ERR") throw new Error(`on the M4: ${calls[out.length][0]} raised ${rest.join(" ")}`);
      out.push({ result: rest.join("\t"), instructions: Number(n), peakHeap: Number(peak), heapAfter: Number(after) });
    }
    if (out.length !== calls.length) throw new Error(`the M4 run answered ${out.length} of ${calls.length} calls`);
    return { load: { instructions: li, peakHeap: lp, heapAfter: lh }, calls: out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The device image booting on the stdio HAL (firmware/targets/lua/stdio-hal.lua)
// with no commands: compiled to bytecode on the device first, then loaded.
const BOOT_DRIVER = `
local f = assert(loadfile("pindai.lua"))
local out = assert(io.open("pindai.luac", "wb"))
out:write(string.dump(f, true))
out:close()
f = nil
io.input("commands.txt")
arg = { [0] = "stdio-hal.lua", "pindai.luac" }
collectgarbage()
m4.resetpeak()
local c = m4.count()
dofile("stdio-hal.lua")
c = m4.count() - c
local peak = m4.peak()
collectgarbage()
print("BOOT\\t" .. c .. "\\t" .. peak .. "\\t" .. m4.heap())
`;

/** The Lua image's boot: instructions, peak heap, heap held after it (bytes). */
export async function imageBootOnM4(elf: string, image: string): Promise<{ instructions: number; peakHeap: number; held: number }> {
  const dir = mkdtempSync(join(tmpdir(), "pindai-m4-run-"));
  try {
    copyFileSync(image, join(dir, "pindai.lua"));
    for (const f of ["stdio-hal.lua", "file-api.lua"]) copyFileSync(fileURLToPath(new URL("../firmware/targets/lua/" + f, import.meta.url)), join(dir, f));
    writeFileSync(join(dir, "commands.txt"), "");
    writeFileSync(join(dir, "driver.lua"), BOOT_DRIVER);
    const out = await qemu(elf, dir);
    const m = /BOOT\t(\d+)\t(\d+)\t(\d+)/.exec(out);
    if (!m) throw new Error("the image did not boot on the M4 model: " + out.slice(-300));
    return { instructions: Number(m[1]), peakHeap: Number(m[2]), held: Number(m[3]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Instructions the model counts for `m4.spin(n)`: 2n and the call around it (checks -icount shift=0). */
export async function calibrate(elf: string, n: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "pindai-m4-run-"));
  try {
    writeFileSync(join(dir, "driver.lua"), `local c = m4.count() m4.spin(${n}) print("SPIN\\t" .. (m4.count() - c))`);
    const out = await qemu(elf, dir);
    const m = /SPIN\t(\d+)/.exec(out);
    if (!m) throw new Error("no SPIN line: " + out);
    return Number(m[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The fixed inputs of the cost model (seeded keys, fixed message and cti): the same calls on every run. */
export function modelCalls(): { verify: Call; tabled: Call; qr: Call; scan: Call; device: Call } {
  const now = 1_800_000_000;
  const w = makeWorld(now, 0, "bench");
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  const secret = sha256(new TextEncoder().encode("bench/verify"));
  const msg = new Uint8Array(200).fill(7);
  const sig = [hex(ed.getPublicKey(secret)), hex(msg), hex(ed.sign(msg, secret))];
  const code = issuePresentation(w.qrSigner, HOLDER, { iat: now, cti: new Uint8Array(16).fill(9) });
  const qr = [code, hex(w.keysetBytes), hex(w.roots[0].kid), hex(w.roots[0].publicKey), String(now + 5), "1"];
  return {
    verify: ["ed25519", ...sig],
    tabled: ["ed25519Tabled", ...sig],
    qr: ["presentation", ...qr],
    scan: ["presentationScan", ...qr],
    device: ["presentationOnDevice", ...qr],
  };
}

/** The figures of the model for one bundle of test/conformance/core-entry.ts. */
export interface M4Figures {
  /** Instructions to load the bundle (parse or undump, run its top level), the peak heap then, the heap it keeps. */
  load: number;
  loadPeak: number;
  loadHeld: number;
  /** Instructions per Ed25519 verification, without and with the tables. */
  verify: number;
  tabled: number;
  /** Whole QR text to verdict, key set loaded (root signature checked) in the call. */
  qr: number;
  /** A device's scan: key set loaded at boot, the QR path alone, no tables (the Lua image makes none). */
  scan: number;
  /** The same on a device that made the tables at boot. */
  device: number;
  /** Peak Lua heap (bytes) over the run without tables (loading included) and over the run with them. */
  peakPlain: number;
  peakTables: number;
  /** Bytes a device holds between scans: the bundle, its state and the tables of the base point and the keys. */
  heldTables: number;
}

/**
 * Two runs: without tables (a verification to warm up, then one counted, a
 * QR, then two scans of which the second is counted) and with them (the first calls make the tables, the second ones are
 * counted). Every result must be OK: a count of a failing path means nothing.
 */
export async function measureM4(elf: string, bundle: string, o: LoadOptions = {}): Promise<M4Figures> {
  const c = modelCalls();
  const [plain, tables] = await Promise.all([
    runOnM4(elf, bundle, [c.verify, c.verify, c.qr, c.scan, c.scan], o),
    runOnM4(elf, bundle, [c.tabled, c.tabled, c.device, c.device], o),
  ]);
  for (const x of [...plain.calls, ...tables.calls]) {
    if (!x.result.startsWith("OK")) throw new Error("a cost model call did not verify: " + x.result);
  }
  return {
    load: plain.load.instructions,
    loadPeak: plain.load.peakHeap,
    loadHeld: plain.load.heapAfter,
    verify: plain.calls[1].instructions,
    tabled: tables.calls[1].instructions,
    qr: plain.calls[2].instructions,
    scan: plain.calls[4].instructions,
    device: tables.calls[3].instructions,
    peakPlain: Math.max(plain.load.peakHeap, ...plain.calls.map((x) => x.peakHeap)),
    peakTables: Math.max(tables.load.peakHeap, ...tables.calls.map((x) => x.peakHeap)),
    heldTables: tables.calls[3].heapAfter,
  };
}

// --- Configurations, baseline and bench rows ----------------------------------

export const BUNDLE_ENTRY = "test/conformance/core-entry.ts";
export const BASELINE_FILE = fileURLToPath(new URL("./cortex-m-baseline.json", import.meta.url));
export const VERSIONS: LuaVersion[] = ["5.4", "5.3"];

export interface M4Config extends LoadOptions {
  name: string;
  lua: LuaVersion;
  /** The Lua natives in front of the bundle, as in the image (firmware/targets/lua/natives.lua). */
  natives: boolean;
}

/**
 * The image's path (natives) loaded as a small device loads it (bytecode
 * compiled on the device, as NodeMCU's node.compile does) on both Lua
 * versions, once more with the GC collecting as soon as the heap grows (pause
 * 100: less memory, more instructions), from source as lua5.4 runs it, and the
 * portable path (what the Lua image ran before the natives).
 */
export const CONFIGS: M4Config[] = [
  { name: "Lua 5.4, natives, bytecode", lua: "5.4", natives: true, bytecode: true },
  { name: "Lua 5.4, natives, bytecode, GC pause 100", lua: "5.4", natives: true, bytecode: true, gcPause: 100 },
  { name: "Lua 5.3, natives, bytecode", lua: "5.3", natives: true, bytecode: true },
  { name: "Lua 5.4, natives, source", lua: "5.4", natives: true },
  { name: "Lua 5.4, portable, source", lua: "5.4", natives: false },
];

/** The model's figures for each configuration (builds what is not cached), one configuration at a time. */
export async function measureAllM4(): Promise<Record<string, M4Figures>> {
  const out: Record<string, M4Figures> = {};
  for (const c of CONFIGS) out[c.name] = await measureM4(buildLuaM4(c.lua), buildLuaBundle(BUNDLE_ENTRY, c.lua, c.natives), c);
  return out;
}

/** Cycles per instruction on a real M4 running an interpreter from flash with wait states (RUNTIMES.md). */
export const CPI = 1.25;
const seconds = (instructions: number, mhz: number) => ((instructions * CPI) / (mhz * 1e6)).toFixed(2);

/** npm run bench: the model's rows, beside lua5.4's x86 ms (portable bundle) where the caller has them. */
export async function benchCortexM(x86?: { verify: number; tabled: number; qr: number; device: number }): Promise<void> {
  const missing = CORTEX_M_TOOLS.filter((t) => spawnSync("sh", ["-c", "command -v " + t]).status !== 0);
  if (missing.length > 0) {
    console.log(`\n(Cortex-M4 cost model: install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm; missing ${missing.join(", ")})`);
    return;
  }
  const all = await measureAllM4();
  const rows: string[][] = [];
  for (const c of CONFIGS) {
    const f = all[c.name];
    const x86ms = !c.natives && c.lua === "5.4" ? x86 : undefined;
    const row = (what: string, n: number, ms?: number) => [`${c.name}: ${what}`, (n / 1e6).toFixed(1), seconds(n, 64), seconds(n, 240), ms === undefined ? "-" : ms.toFixed(1)];
    rows.push(row("load the bundle", f.load));
    rows.push(row("Ed25519 verify, no tables", f.verify, x86ms?.verify));
    rows.push(row("Ed25519 verify, tables", f.tabled, x86ms?.tabled));
    rows.push(row("QR to verdict (key set loaded)", f.qr, x86ms?.qr));
    rows.push(row("a scan, key set loaded at boot, no tables", f.scan));
    rows.push(row("a scan, key set and tables made at boot", f.device, x86ms?.device));
  }
  table(
    `Cortex-M4 cost model: Lua bare-metal under qemu-system-arm -M mps2-an386 -icount shift=0 (1 instruction = 1 ns), s = instructions x ${CPI} CPI / MHz`,
    ["Lua on Cortex-M4", "M instructions", "s at 64 MHz", "s at 240 MHz", "x86 lua5.4 ms"],
    rows,
  );
  const kb = (b: number) => (b / 1024).toFixed(0);
  const imageDir = mkdtempSync(join(tmpdir(), "pindai-m4-image-"));
  const image = await build({ roots: [Buffer.from(makeWorld(1_800_000_000, 0, "bench").roots[0].publicKey).toString("hex")], version: "bench" }, imageDir, () => {});
  const boots: string[][] = [];
  for (const v of VERSIONS) {
    const b = await imageBootOnM4(buildLuaM4(v), image.lua);
    boots.push([`Lua ${v}`, String(image.sizes.lua), (b.instructions / 1e6).toFixed(1), kb(b.peakHeap), kb(b.held)]);
  }
  rmSync(imageDir, { recursive: true, force: true });
  table("Cortex-M4 cost model: the Lua device image booting (stdio HAL, no key set yet), compiled to bytecode on the device", [
    "Lua", "image bytes", "M instructions", "peak heap KB", "held after boot KB",
  ], boots);
  table(
    "Cortex-M4 cost model: Lua heap, KB (exact, counted in Lua's allocator; tables are Lua tables of bytes)",
    ["Lua", "peak loading", "held after loading", "peak, no tables", "peak, tables", "held between scans, tables"],
    CONFIGS.map((c) => {
      const f = all[c.name];
      return [c.name, kb(f.loadPeak), kb(f.loadHeld), kb(f.peakPlain), kb(f.peakTables), kb(f.heldTables)];
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === "--write-baseline") {
    writeFileSync(BASELINE_FILE, JSON.stringify(await measureAllM4(), null, 2) + "\n");
    console.log("wrote " + BASELINE_FILE);
  } else await benchCortexM();
}
