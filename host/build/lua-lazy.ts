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
import { join } from "node:path";

/** Functions smaller than this (bytes of source) stay in the image: the stub would cost as much. */
const MIN_BYTES = 300;
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

// The loader, put in front of the modules: a stub per lazy function. spec is
// "offset:length:map", map the binder index of each upvalue (0 for _ENV).
const LOADER = `local ____lazySource = "pindai.lua"
do
  local src = debug.getinfo(1, "S").source
  if type(src) == "string" and src:sub(1, 1) == "@" then ____lazySource = src:sub(2) end
end
local ____lazyLoaded = {}
local function ____lazy(binder, spec)
  return function(...)
    local f = ____lazyLoaded[spec]
    if f == nil then
      local at, len, map = spec:match("^(%d+):(%d+):(.*)$")
      at, len = tonumber(at), tonumber(len)
      local h = ((io ~= nil and io.open) or file.open)(____lazySource, "rb")
      if h == nil then error("pindai: cannot open " .. ____lazySource .. " to load a function") end
      h:seek("set", at)
      local parts, n = {}, 0
      while n < len do
        local p = h:read(len - n < 1024 and len - n or 1024)
        if p == nil or #p == 0 then break end
        parts[#parts + 1] = p
        n = n + #p
      end
      h:close()
      -- Compiled, then kept as stripped bytecode (no line or local-name
      -- tables: what node.compile leaves), as the rest of the image.
      local real = assert(load(string.dump(assert(load(table.concat(parts), "=pindai@" .. at)), true), nil, "b"))()
      local i = 1
      for j in map:gmatch("%d+") do
        j = tonumber(j)
        if j > 0 then debug.upvaluejoin(real, i, binder[1], j) end
        i = i + 1
      end
      f = real
      ____lazyLoaded[spec] = real
      if PINDAI_LAZY_TRACE then PINDAI_LAZY_TRACE(at, len) end
    end
    return f(...)
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

/**
 * The image with its sizeable module functions loaded on first call. Without
 * luac5.4 on the build machine, the image unchanged (functions: 0).
 */
export function withLazyFunctions(image: string, minBytes = MIN_BYTES): LazyResult {
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
  const specOf: string[] = [];
  const replace = new Map<number, { upTo: number; text: string }>();
  const insertAfter = new Map<number, string>();
  const insertBefore = new Map<number, string>();
  for (const p of plans) {
    insertAfter.set(p.start, "local ____lz = {}");
    insertBefore.set(p.ret, `____lz[1] = function() return ${p.binder.join(", ")} end`);
    for (const z of p.lazies) {
      const names = z.upvalues.filter((u) => u !== "_ENV");
      const body = lines.slice(z.line + 1, z.last).join("\n");
      chunks.push((names.length > 0 ? `local ${names.join(", ")}\n` : "") + `return function(${z.params})\n${body}\nend\n`);
      const map = z.upvalues.map((u) => (u === "_ENV" ? 0 : p.binder.indexOf(u) + 1)).join(",");
      const id = chunks.length - 1;
      specOf.push(map);
      replace.set(z.line, { upTo: z.last, text: `${z.local ? "local " : ""}${z.target} = ____lazy(____lz, "@@${id}@@")` });
    }
  }
  if (chunks.length === 0) return { image, functions: 0, movedBytes: 0 };
  const out: string[] = [];
  const modulesAt = lines.findIndex((l) => l === "____modules = {");
  for (let i = 0; i < lines.length; i++) {
    if (i === modulesAt) out.push(...LOADER.trimEnd().split("\n"));
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
      "  for k in pairs(____lazyLoaded) do ____lazyLoaded[k] = nil end",
      "  collectgarbage()",
      "  return entry",
      "end",
      "return ____boot(...)",
    );
    break;
  }
  let level = "==";
  while (chunks.some((c) => c.includes("]" + level + "]"))) level += "=";
  // Offsets: the placeholders become "OOOOOOOO:LLLLLL:map" (fixed width), so the head's length is known first.
  const fixed = (id: number, at: number, len: number) => `${String(at).padStart(8, "0")}:${String(len).padStart(6, "0")}:${specOf[id]}`;
  const withSpecs = (offsets: number[]) => out.join("\n").replace(/@@(\d+)@@/g, (_m, id) => fixed(Number(id), offsets[Number(id)], Buffer.byteLength(chunks[Number(id)])));
  const head = withSpecs(chunks.map(() => 0)) + "\n--[" + level + "[\n";
  let at = Buffer.byteLength(head);
  const offsets = chunks.map((c) => {
    const o = at;
    at += Buffer.byteLength(c);
    return o;
  });
  const final = withSpecs(offsets) + "\n--[" + level + "[\n" + chunks.join("") + "]" + level + "]\n";
  return { image: final, functions: chunks.length, movedBytes: chunks.reduce((n, c) => n + Buffer.byteLength(c), 0) };
}
