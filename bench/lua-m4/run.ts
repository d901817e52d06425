// Running the bare-metal Lua (build.ts) on qemu-system-arm -M mps2-an386
// -icount shift=0 -semihosting: one instruction is one nanosecond of virtual
// time, files are the host's (the working directory of each run), and what
// the driver prints is the answer.
import { prng } from "../../sim/camera/synth";
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

type Call = [string, ...string[]];

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

// The device image booting on the stdio HAL (firmware/targets/lua/stdio-hal.lua):
// compiled to bytecode on the device first, then loaded; the boot ends when
// the HAL reads its first command line (or finds none).
const BOOT_DRIVER = `
local f = assert(loadfile("pindai.lua"))
local out = assert(io.open("pindai.luac", "wb"))
out:write(string.dump(f, true))
out:close()
f = nil
io.input("commands.txt")
-- The image makes its device key from node.random, which stdio-hal.lua reads
-- from /dev/urandom: here from fixed bytes, so a boot costs the same on every run.
local hostOpen = io.open
io.open = function(p, m) if p == "/dev/urandom" then return hostOpen("random.bin", m) end return hostOpen(p, m) end
arg = { [0] = "stdio-hal.lua", "pindai.luac" }
collectgarbage()
m4.resetpeak()
local c = m4.count()
function BOOT_DONE()
  if c == nil then return end
  c = m4.count() - c
  local peak = m4.peak()
  collectgarbage()
  print("BOOT\\t" .. c .. "\\t" .. peak .. "\\t" .. m4.heap())
  c = nil
end
dofile("stdio-hal.lua")
BOOT_DONE()
`;

// With commands, each command line of the stdio HAL is measured on its own:
// the driver's io.lines gives the HAL its lines and prints, before each, the
// previous line's instructions, peak heap and heap held after it; the LEDs
// (gpio.write) are printed as "GPIO pin level".
const LINES_DRIVER = `
local hostLines = io.lines
io.lines = function()
  local it = hostLines("commands.txt")
  gpio.write = function(pin, level) print("GPIO " .. pin .. " " .. level) end
  local last, c
  return function()
    BOOT_DONE()
    if last ~= nil then
      c = m4.count() - c
      local peak = m4.peak()
      collectgarbage()
      print("LINE\\t" .. c .. "\\t" .. peak .. "\\t" .. m4.heap() .. "\\t" .. last:sub(1, 1))
    end
    last = it()
    collectgarbage()
    m4.resetpeak()
    c = m4.count()
    return last
  end
end
`;

// NodeMCU's LFS as the model has it (lua-m4.c m4.loadflash): the image's
// bytecode is loaded with its code and constants in flash, once, as LFS holds
// them; so is the stdio HAL's, which stands in for NodeMCU's own modules (C in
// its firmware's flash). The boot then runs them and only what they make
// (closures, upvalues, tables) is heap. Each chunk is kept, as LFS keeps it.
const LFS_DRIVER = `
local HAL = { ["stdio-hal.lua"] = true, ["file-api.lua"] = true, ["u8g2-standin.lua"] = true }
for name in pairs(HAL) do
  local out = assert(io.open(name .. "c", "wb"))
  out:write(string.dump(assert(loadfile(name)), true))
  out:close()
end
collectgarbage()
local kept = {}
local hostDofile = dofile
dofile = function(p)
  local name = p:match("[^/]*$")
  if HAL[name] then
    kept[#kept + 1] = m4.loadflash(name .. "c")
    return kept[#kept]()
  end
  if name ~= "pindai.luac" then return hostDofile(p) end
  -- The heap the image finds: Lua's own and the HAL's (stock Lua's libraries; NodeMCU keeps its in flash).
  collectgarbage()
  print("PREIMAGE\\t" .. m4.heap())
  local before = m4.flashbytes()
  kept[#kept + 1] = m4.loadflash(name)
  print("FLASH\\t" .. m4.flashbytes() - before)
  return kept[#kept]()
end
`;

export interface M4Line {
  command: string;
  instructions: number;
  peakHeap: number;
  held: number;
}

/**
 * The Lua image's boot: instructions, peak heap, heap held after it (bytes);
 * then each line of `commands` (the stdio HAL's: U, W, A) measured, on the
 * flash files of `flash` (copied) with the RTC at `rtc`.
 */
export async function imageBootOnM4(
  elf: string,
  image: string,
  o: { commands?: string[]; flash?: string; rtc?: number; lfs?: boolean } = {},
): Promise<{ instructions: number; peakHeap: number; held: number; lines: M4Line[]; out: string; lfs?: { flashBytes: number; preImage: number } }> {
  const dir = mkdtempSync(join(tmpdir(), "pindai-m4-run-"));
  try {
    copyFileSync(image, join(dir, "pindai.lua"));
    for (const f of ["stdio-hal.lua", "file-api.lua", "u8g2-standin.lua"]) copyFileSync(fileURLToPath(new URL("../../firmware/targets/lua/" + f, import.meta.url)), join(dir, f));
    if (o.flash !== undefined) for (const f of readdirSync(o.flash)) copyFileSync(join(o.flash, f), join(dir, f));
    writeFileSync(join(dir, "commands.txt"), (o.commands ?? []).map((c) => c + "\n").join(""));
    const next = prng(20261128);
    writeFileSync(join(dir, "random.bin"), Buffer.from(Array.from({ length: 65536 }, () => Math.floor(next() * 256))));
    let driver = BOOT_DRIVER;
    if (o.commands !== undefined) driver = LINES_DRIVER + driver;
    if (o.lfs === true) driver = LFS_DRIVER + driver + '\nprint("FLASHLATE\\t" .. select(2, m4.flashbytes()))\n';
    if (o.rtc !== undefined) driver = driver.replace('"pindai.luac" }', `"--rtc", "${Math.floor(o.rtc)}", "pindai.luac" }`);
    writeFileSync(join(dir, "driver.lua"), driver);
    const out = await qemu(elf, dir);
    const m = /BOOT\t(\d+)\t(\d+)\t(\d+)/.exec(out);
    if (!m) throw new Error("the image did not boot on the M4 model: " + out.slice(-300));
    const lines: M4Line[] = [];
    for (const l of out.split("\n")) {
      const x = /^LINE\t(\d+)\t(\d+)\t(\d+)\t(.*)$/.exec(l);
      if (x) lines.push({ command: x[4], instructions: Number(x[1]), peakHeap: Number(x[2]), held: Number(x[3]) });
    }
    const r = { instructions: Number(m[1]), peakHeap: Number(m[2]), held: Number(m[3]), lines, out };
    if (o.lfs !== true) return r;
    const flash = /FLASH\t(\d+)/.exec(out);
    const pre = /PREIMAGE\t(\d+)/.exec(out);
    if (!flash || !pre) throw new Error("the LFS model did not load the image into flash: " + out.slice(-300));
    if (!/FLASHLATE\t0\b/.test(out)) throw new Error("the LFS model freed code it had taken out of Lua's count: " + out.slice(-300));
    return { ...r, lfs: { flashBytes: Number(flash[1]), preImage: Number(pre[1]) } };
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
