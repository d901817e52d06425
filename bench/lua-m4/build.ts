// Lua 5.3 / 5.4 built bare-metal for a Cortex-M4 (the MPS2 AN386 board as
// QEMU models it) with Debian's gcc-arm-none-eabi and newlib: Lua's own
// sources from Debian's source package (apt-get source, needs a deb-src
// entry) plus lua-m4.c, startup.c and m4.ld here. Sources and builds are
// cached in the temp dir, never in the repository.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type LuaVersion = "5.3" | "5.4";

const HERE = fileURLToPath(new URL(".", import.meta.url));
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
/** What the model needs on this machine (lua5.4: the image's scan row provisions the device on it first). */
export const CORTEX_M_TOOLS = ["arm-none-eabi-gcc", "qemu-system-arm", "apt-get", "lua5.4"];

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
