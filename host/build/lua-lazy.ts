// The Lua image's functions loaded from flash when first called, so the
// code a device does not run stays out of its RAM (Lua keeps every function's
// bytecode in RAM; NodeMCU's LFS, which keeps it in flash, needs NodeMCU's own
// luac.cross). Each sizeable module-level function of the bundle is replaced
// by a small stub; its source goes to the end of the image file, in a
// comment the Lua parser skips (so the image stays one file that `pindai
// flash-lua` writes as before). On its first call the stub reads the source
// from the image file in flash (file.open, seek, read), compiles it with
// load and joins its upvalues to the module's own variables
// (debug.upvaluejoin), then calls it; later calls go straight to it.
//
// Which variables a function reads from its module is read from the
// bytecode: `luac5.4 -l -l -p` lists each function's upvalues in the order the
// compiler numbers them, which is the order the same body numbers them when
// compiled alone after `local` declarations of the same names. Each module
// gets one binder closure, made at its end, that captures every name its
// lazy functions need; the stubs join the loaded function's upvalues to the
// binder's by index (so it works on stripped bytecode, which has no names).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { join } from "node:path";

/** Functions smaller than this (bytes of source) stay in the image: the stub would cost as much. */
const MIN_BYTES = 60;
/**
 * Bytes of source whose functions stay loaded at once: past it, all loaded
 * functions are dropped before the next is loaded (those running go on).
 * During the boot (which loads about 85 KB of source, each function once)
 * it keeps the boot's peak down (36 KB lower on the Cortex-M4 model, for 4 %
 * more instructions at boot). After it, a scan runs about 61 KB of source: at
 * 32 KB some of it loads twice (from the bytecode cache), a scan's peak 38 KB
 * lower than at 96 KB for 10 % more instructions (measured on the model: 48
 * KB gave 22 KB for 5 %).
 */
const LAZY_HELD_BOOT = 24_000;
const LAZY_HELD = 32_000;
/** A binder takes at most this many upvalues (Lua's limit is 255). */
const MAX_BINDER = 200;

interface LuacFunction {
  line: number;
  last: number;
  upvalues: string[];
}

/** Every function of `source` with its first and last line and its upvalue names, from luac5.4's listing. */
function luacFunctions(source: string): LuacFunction[] | undefined {
  const dir = mkdtempSync(join(tmpdir(), "pindai-lazy-"));
  try {
    const file = join(dir, "image.lua");
    writeFileSync(file, source);
    const r = spawnSync("luac5.4", ["-l", "-l", "-p", file], { encoding: "utf8", maxBuffer: 1 << 28 });
    if (r.error !== undefined || r.status !== 0) return undefined;
    const byAddress = new Map<string, LuacFunction>();
    const out: LuacFunction[] = [];
    let pending: { fn: LuacFunction; left: number } | undefined;
    for (const l of r.stdout.split("\n")) {
      const head = /^(?:function|main) <[^:]*:(\d+),(\d+)> \(.* at (0x[0-9a-f]+)\)$/.exec(l);
      if (head !== null) {
        const fn = { line: Number(head[1]), last: Number(head[2]), upvalues: [] };
        byAddress.set(head[3], fn);
        out.push(fn);
        continue;
      }
      const up = /^upvalues \((\d+)\) for (0x[0-9a-f]+):$/.exec(l);
      if (up !== null) {
        const fn = byAddress.get(up[2]);
        pending = fn === undefined || up[1] === "0" ? undefined : { fn, left: Number(up[1]) };
        continue;
      }
      if (pending !== undefined) {
        const u = /^\t\d+\t(\S+)\t/.exec(l);
        if (u !== null) {
          pending.fn.upvalues.push(u[1]);
          if (--pending.left === 0) pending = undefined;
        }
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The loader, put in front of the modules. A function's place is one
// integer, index * 10^14 + offset in the image file * 10^6 + length (18
// digits), and its chunk returns the function and how its upvalues map to
// its module's binder (0 for _ENV): a stub is then a closure, one upvalue of
// its own and one shared with its module's other stubs (about 60 bytes on a
// 32-bit Lua).
//
// Compiled functions are kept in a bytecode cache in flash (pindai.lbc, or
// beside the image file where there is no flash file module): loading
// stripped bytecode costs a fifth of compiling the source, so the functions
// can be dropped after every scan. The file is the tag (the image's id and
// the Lua's own bytecode header: another image or another Lua starts it
// anew), then a directory of one 12-byte entry per function (offset, length,
// a check of both and of three words of the bytecode), then the bytecode,
// appended. An entry is written only after its bytecode, in its own write: a
// power cut leaves either no entry (the function is compiled and appended
// again) or a torn one whose check fails; an entry is used only when its
// check holds over the bytes it names, all there, so a torn cache is
// rebuilt, never run.
const LOADER = `local ____lazySource = "pindai.lua"
do
  local src = debug.getinfo(1, "S").source
  if type(src) == "string" and src:sub(1, 1) == "@" then ____lazySource = src:sub(2) end
end
local ____lazyLoaded, ____lazyBytes, ____lazyHeld = {}, 0, ____LAZY_HELD_BOOT
-- Drops every function loaded from flash (the stubs load them again when
-- called) once more than \`above\` bytes of their source are loaded: after the
-- boot, and when the device is idle after an event (firmware/targets/lua/main.ts),
-- so what it holds between scans is its state and the stubs, not the code of
-- the last scan or admin command.
function PINDAI_LAZY_DROP(above)
  if ____lazyBytes <= (above or -1) then return end
  ____lazyLoaded = {} -- a new table: a table emptied keeps its size
  ____lazyBytes = 0
end
local function ____readAll(h, len)
  local first = h:read(len < 1024 and len or 1024)
  if first == nil or #first == len then return first or "" end
  local parts, n = { first }, #first
  while n < len do
    local p = h:read(len - n < 1024 and len - n or 1024)
    if p == nil or #p == 0 then break end
    parts[#parts + 1] = p
    n = n + #p
  end
  return table.concat(parts)
end
-- In flash (NodeMCU's file module, or the stdio HAL's), else beside the image file.
local ____cacheName = (file ~= nil and file.open ~= nil) and "pindai.lbc" or ____lazySource .. ".lbc"
local function ____flashOpen(name, mode)
  if file ~= nil and file.open ~= nil then return file.open(name, mode) end
  return io.open(name, mode)
end
local ____cacheTag, ____cacheChecked
-- An entry's check: its offset and length, and three words of the bytecode
-- (its first, middle and last), so an entry naming other bytes than it was
-- written for (a torn entry, or bytes lost and written over) fails it.
local function ____entryCheck(at, bc)
  local n = #bc
  if n < 8 then return nil end
  local a, b, c = string.unpack("<I4", bc, 1), string.unpack("<I4", bc, n // 2), string.unpack("<I4", bc, n - 3)
  return ((at * 40503 + n * 2654435761 + a * 97 + b * 389 + c * 1543) ~ 0x5bd1e995) & 0xffffffff
end
-- The cache, open at a valid directory (made anew when absent or not this
-- image's; checked once a boot, as only this image writes it), or nil.
local function ____cacheOpen()
  if ____cacheTag == nil then ____cacheTag = "PLBC@@IMAGEID@@" .. string.dump(load(""), true) end
  local h = ____flashOpen(____cacheName, "r+b")
  if h ~= nil and ____cacheChecked then return h end
  if h ~= nil and h:read(#____cacheTag) == ____cacheTag and (h:seek("end", 0) or 0) >= #____cacheTag + ____LAZY_COUNT * 12 then
    ____cacheChecked = true
    return h
  end
  if h ~= nil then h:close() end
  h = ____flashOpen(____cacheName, "w+b")
  if h == nil then return nil end
  if not h:write(____cacheTag .. string.rep("\\0", ____LAZY_COUNT * 12)) then
    h:close()
    return nil
  end
  ____cacheChecked = true
  return h
end
-- The function at place \`spec\`: from the cache, or compiled from the
-- image's source (then kept as stripped bytecode, as node.compile leaves
-- code) and added to the cache.
local function ____lazyChunk(spec)
  local index, at, len = spec // 100000000000000, spec // 1000000 % 100000000, spec % 1000000
  local cache = ____cacheOpen()
  local entry = cache ~= nil and cache:seek("set", #____cacheTag + index * 12) ~= nil and cache:read(12)
  if entry and #entry == 12 then
    local bcAt, bcLen, check = string.unpack("<I4I4I4", entry)
    if bcAt > 0 and bcLen < 1000000 and cache:seek("set", bcAt) ~= nil then
      local bc = ____readAll(cache, bcLen)
      local f = #bc == bcLen and check == ____entryCheck(bcAt, bc) and load(bc, "=pindai", "b")
      if f then
        cache:close()
        return f, at, len
      end
    end
  end
  local h = ((io ~= nil and io.open) or file.open)(____lazySource, "rb")
  if h == nil then error("pindai: cannot open " .. ____lazySource .. " to load a function") end
  h:seek("set", at)
  local source = ____readAll(h, len)
  h:close()
  local bc = string.dump(assert(load(source, "=pindai@" .. at)), true)
  source = nil
  if cache ~= nil then
    local bcAt = cache:seek("end", 0)
    if bcAt ~= nil and bcAt >= #____cacheTag + ____LAZY_COUNT * 12 and cache:write(bc) then
      cache:seek("set", #____cacheTag + index * 12)
      cache:write(string.pack("<I4I4I4", bcAt, #bc, ____entryCheck(bcAt, bc) or 0))
    end
    cache:close()
  end
  return assert(load(bc, "=pindai", "b")), at, len
end
-- The function at \`spec\` of the module whose variables binder[1] returns:
-- loaded, its upvalues joined to the module's, and kept until the next drop.
local function ____lazyLoad(spec, binder)
  local chunk, at, len = ____lazyChunk(spec)
  local f, map = chunk()
  local i = 1
  for j in map:gmatch("%d+") do
    j = tonumber(j)
    if j > 0 then debug.upvaluejoin(f, i, binder[1], j) end
    i = i + 1
  end
  if ____lazyBytes + len > ____lazyHeld then PINDAI_LAZY_DROP() end
  ____lazyBytes = ____lazyBytes + len
  ____lazyLoaded[spec] = f
  if PINDAI_LAZY_TRACE then PINDAI_LAZY_TRACE(at, len) end
  return f
end
-- The stub maker of a module. A stub lives as long as the image, one per
-- function: it has 4 upvalues (the loading done by ____lazyLoad), 12 bytes
-- fewer on 32-bit Lua than with the loading inline (7).
local function ____lazy(binder)
  return function(spec)
    return function(...)
      return (____lazyLoaded[spec] or ____lazyLoad(spec, binder))(...)
    end
  end
end
`;

const HEADER = /^(?:local function ([A-Za-z_][A-Za-z0-9_]*)|function ([A-Za-z_][A-Za-z0-9_.]*))\(([^()]*)\)\s*$/;
const MODULE_START = /^\["([^"]+)"\] = function\(\.\.\.\)\s*$/;

interface Lazy {
  line: number;
  last: number;
  /** The statement that replaces the definition, without its spec. */
  target: string;
  local: boolean;
  params: string;
  upvalues: string[];
}

/** Names declared by `local` at column 0 of lines [from, to) (module level). */
function moduleLocals(lines: string[], from: number, to: number): Map<string, number> {
  const n = new Map<string, number>();
  for (let i = from; i < to; i++) {
    const m = /^local (?:function )?([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)/.exec(lines[i]);
    if (m === null) continue;
    for (const name of m[1].split(",")) n.set(name.trim(), (n.get(name.trim()) ?? 0) + 1);
  }
  return n;
}

const CALLED = /([A-Za-z_][A-Za-z0-9_]*)\s*[("{]/g;
const MADE = /__TS__(?:New|ClassExtends)\(\s*([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * The module-level functions of lines [from, to) that may run while the
 * module loads (before its binder exists): those its top-level statements
 * name, those their bodies name, and so on (by name: more than needed is
 * safe, they just stay in RAM); a class's constructor when the class is named.
 * Returns their header lines.
 */
function runsOnLoad(lines: string[], from: number, to: number, byLine: Map<number, LuacFunction>): Set<number> {
  const defs: Array<{ line: number; last: number; name: string; cls?: string }> = [];
  for (let i = from; i < to; i++) {
    const h = HEADER.exec(lines[i]);
    const f = byLine.get(i + 1);
    if (h === null || f === undefined) continue;
    const target = h[1] ?? h[2];
    const parts = target.split(".");
    defs.push({ line: i, last: f.last - 1, name: parts[parts.length - 1], cls: parts[1] === "prototype" ? parts[0] : undefined });
    i = f.last - 1;
  }
  const named = new Set<string>();
  // Called names (a name before "(" or a string or table argument), and the classes made (__TS__New(C, ...)).
  // String literals emptied first: a class's name (C.name = "C") or a module
  // path (require("a.keyset")) is not a call of C or keyset.
  const addTokens = (a: number, b: number) => {
    for (let i = a; i <= b; i++) {
      const code = lines[i].replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '""');
      for (const m of code.matchAll(CALLED)) named.add(m[1]);
      for (const m of code.matchAll(MADE)) named.add(m[1]);
    }
  };
  let d = 0;
  for (let i = from; i < to; i++) {
    if (d < defs.length && defs[d].line === i) {
      i = defs[d++].last;
      continue;
    }
    addTokens(i, i);
  }
  const running = new Set<number>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const f of defs) {
      if (running.has(f.line)) continue;
      if (named.has(f.name) || (f.cls !== undefined && f.name === "____constructor" && named.has(f.cls))) {
        running.add(f.line);
        addTokens(f.line + 1, f.last);
        grew = true;
      }
    }
  }
  return running;
}

export interface LazyResult {
  image: string;
  functions: number;
  /** Bytes of source moved to the image's tail. */
  movedBytes: number;
}

/** True when `image` carries moved function source behind its tail comment (what withLazyFunctions writes). */
export function hasLazyTail(image: string): boolean {
  return /\n--\[=*\[\n/.test(image);
}

/**
 * The image with its sizeable module functions loaded on first call. Without
 * luac5.4 on the build machine, the image unchanged (functions: 0).
 */
export function withLazyFunctions(image: string, minBytes = MIN_BYTES, lazyHeld = LAZY_HELD): LazyResult {
  const fns = luacFunctions(image);
  if (fns === undefined) return { image, functions: 0, movedBytes: 0 };
  const lines = image.split("\n");
  const starts: Array<{ name: string; at: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    const m = MODULE_START.exec(lines[i]);
    if (m !== null) starts.push({ name: m[1], at: i });
  }
  const byLine = new Map<number, LuacFunction>();
  for (const f of fns) if (!byLine.has(f.line)) byLine.set(f.line, f);

  // Per module: its lazy functions, its binder's names, its last `return` line.
  const plans: Array<{ start: number; ret: number; binder: string[]; lazies: Lazy[] }> = [];
  for (let k = 0; k < starts.length; k++) {
    const { name, at } = starts[k];
    if (name === "lualib_bundle") continue;
    let end = k + 1 < starts.length ? starts[k + 1].at : lines.length;
    // The last module ends where the table of modules does (the bundle's own return follows).
    if (k + 1 === starts.length) end = lines.indexOf("}", at);
    let ret = -1;
    for (let i = end - 1; i > at; i--) {
      if (/^return /.test(lines[i])) {
        ret = i;
        break;
      }
    }
    if (ret < 0) continue;
    const declared = moduleLocals(lines, at + 1, ret);
    const running = runsOnLoad(lines, at + 1, ret, byLine);
    const binder: string[] = [];
    const lazies: Lazy[] = [];
    for (let i = at + 1; i < ret; i++) {
      const h = HEADER.exec(lines[i]);
      const f = byLine.get(i + 1);
      if (h === null || f === undefined || lines[f.last - 1] !== "end") continue;
      let bytes = 0;
      for (let j = i; j < f.last; j++) bytes += lines[j].length + 1;
      const names = f.upvalues.filter((u) => u !== "_ENV");
      // A name declared twice at module level could be another variable at the binder: keep such functions.
      if (bytes < minBytes || running.has(i) || names.some((u) => (declared.get(u) ?? 0) > 1)) {
        i = f.last - 1;
        continue;
      }
      const added = names.filter((u) => !binder.includes(u));
      if (binder.length + added.length > MAX_BINDER) break;
      binder.push(...added);
      lazies.push({ line: i, last: f.last - 1, target: h[1] ?? h[2], local: h[1] !== undefined, params: h[3], upvalues: f.upvalues });
      i = f.last - 1;
    }
    if (lazies.length > 0) plans.push({ start: at, ret, binder, lazies });
  }

  // The chunks, and the image with placeholders of fixed width for their offsets.
  const chunks: string[] = [];
  const replace = new Map<number, { upTo: number; text: string }>();
  const insertAfter = new Map<number, string>();
  const insertBefore = new Map<number, string>();
  for (const p of plans) {
    insertAfter.set(p.start, "local ____lz = {}\nlocal ____lzf = ____lazy(____lz)");
    insertBefore.set(p.ret, `____lz[1] = function() return ${p.binder.join(", ")} end`);
    for (const z of p.lazies) {
      const names = z.upvalues.filter((u) => u !== "_ENV");
      const body = lines.slice(z.line + 1, z.last).join("\n");
      const map = z.upvalues.map((u) => (u === "_ENV" ? 0 : p.binder.indexOf(u) + 1)).join(",");
      chunks.push((names.length > 0 ? `local ${names.join(", ")}\n` : "") + `return function(${z.params})\n${body}\nend, "${map}"\n`);
      const id = chunks.length - 1;
      replace.set(z.line, { upTo: z.last, text: `${z.local ? "local " : ""}${z.target} = ____lzf(@@${id}@@)` });
    }
  }
  const out: string[] = [];
  const modulesAt = lines.findIndex((l) => l === "____modules = {");
  for (let i = 0; i < lines.length; i++) {
    if (i === modulesAt) out.push(...LOADER.replaceAll("____LAZY_COUNT", String(chunks.length)).replaceAll("____LAZY_HELD_BOOT", String(LAZY_HELD_BOOT)).trimEnd().split("\n"));
    if (insertBefore.has(i)) out.push(insertBefore.get(i)!);
    const r = replace.get(i);
    if (r !== undefined) {
      out.push(r.text);
      i = r.upTo;
      continue;
    }
    out.push(lines[i]);
    if (insertAfter.has(i)) out.push(insertAfter.get(i)!);
  }
  // Once the entry has loaded (on a device: booted), the functions that ran
  // are dropped: what ran once (the device key, the random source's health
  // check, the first flash reads) leaves RAM, and a scan loads its own path
  // on its first call again. Still by a tail call from the bundle's main
  // function, so that its code (every module's top level) is freed as the
  // boot goes (host/build/lua-natives.ts).
  for (let i = out.length - 1; i >= 0; i--) {
    const ret = /^return (require\("[^"\n]+", \.\.\.\))$/.exec(out[i]);
    if (ret === null) continue;
    out.splice(
      i, 1,
      "local function ____boot(...)",
      `  local entry = ${ret[1]}`,
      "  PINDAI_LAZY_DROP()",
      `  ____lazyHeld = ${lazyHeld}`,
      "  collectgarbage()",
      "  return entry",
      "end",
      "return ____boot(...)",
    );
    break;
  }
  const functions = chunks.length;
  let level = "==";
  while (chunks.some((c) => c.includes("]" + level + "]"))) level += "=";
  // Places: the placeholders become IIIIOOOOOOOOLLLLLL (index * 10^14 + offset
  // * 10^6 + length, fixed width), so every length is known before the offsets are.
  const fixed = (id: number, at: number, len: number) => {
    if (id >= 1e4 || at >= 1e8 || len >= 1e6) throw new Error("lua-lazy: the image is too large for its chunks' places (10,000 functions, 100 MB, 1 MB a function)");
    return `${String(id).padStart(4, "0")}${String(at).padStart(8, "0")}${String(len).padStart(6, "0")}`;
  };
  const withSpecs = (text: string, offsets: number[], lens: number[]) => text.replace(/@@(\d+)@@/g, (_m, id) => fixed(Number(id), offsets[Number(id)], lens[Number(id)]));
  const zeros = chunks.map(() => 0);
  const lens = chunks.map((c) => Buffer.byteLength(withSpecs(c, zeros, zeros)));
  // The image's id in the bytecode cache's tag: another image starts the cache anew.
  const id = createHash("sha256").update(out.join("\n")).update(chunks.join("")).digest("hex").slice(0, 16);
  const headText = out.join("\n").replace("@@IMAGEID@@", id);
  let at = Buffer.byteLength(withSpecs(headText, zeros, zeros) + "\n--[" + level + "[\n");
  const offsets = lens.map((n) => {
    const o = at;
    at += n;
    return o;
  });
  const tail = chunks.map((c) => withSpecs(c, offsets, lens)).join("");
  const final = withSpecs(headText, offsets, lens) + "\n--[" + level + "[\n" + tail + "]" + level + "]\n";
  return { image: final, functions, movedBytes: Buffer.byteLength(tail) };
}
