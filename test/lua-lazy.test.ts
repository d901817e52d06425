// The Lua image's functions loaded from the image file on first call
// (host/build/lua-lazy.ts): the same bundle, with and without the transform,
// must give the same answers in the real Lua VMs, and the moved functions must
// really be loaded from the file when called (and only then). The device image
// itself runs lazily in test/images.test.ts and the other Lua-device tests.
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { buildLuaBundle, nativeRunner } from "./support/lua";
import { withLazyFunctions } from "../host/build/lua-lazy";
import { haveTool } from "./support/tools";

type Call = [string, ...string[]];
const wycheproof = JSON.parse(readFileSync(new URL("./vectors/wycheproof_ed25519_test.json", import.meta.url), "utf8"));
const cbor = JSON.parse(readFileSync(new URL("./vectors/cbor_appendix_a.json", import.meta.url), "utf8")) as Array<{ hex: string }>;

function calls(): Call[] {
  const out: Call[] = [];
  for (const g of wycheproof.testGroups) for (const t of g.tests.slice(0, 6)) out.push(["ed25519", g.publicKey.pk, t.msg, t.sig]);
  for (const v of cbor) out.push(["cbor", v.hex]);
  for (const t of ["BB8", "%69 VD92EX0", "UJCLQE7W581", "GGW", "B"]) out.push(["base45", t]);
  for (const n of [0, 111, 112, 200]) out.push(["sha512Hex", "ab".repeat(n)]);
  out.push(["deviceSign", "11".repeat(32), "abcd"]);
  return out;
}

const ready = haveTool("luac5.4") && haveTool("lua5.4");
if (!ready) {
  if (process.env.CI === "true") throw new Error("luac5.4 and lua5.4 are required under CI=true");
  console.warn("\n*** SKIPPED: lazy Lua functions: luac5.4 / lua5.4 not installed ***\n");
}

describe.skipIf(!ready)("Lua functions loaded on first call (host/build/lua-lazy.ts)", () => {
  const plain = buildLuaBundle("test/conformance/core-entry.ts", "5.4", true);
  const dir = mkdtempSync(join(tmpdir(), "pindai-lazy-test-"));
  const lazyPath = join(dir, "lazy.lua");
  const lazy = withLazyFunctions(readFileSync(plain, "utf8"), 120);
  writeFileSync(lazyPath, lazy.image);

  it("moves most of the bundle's function source to the file's tail, behind a comment", () => {
    expect(lazy.functions).toBeGreaterThan(100);
    expect(lazy.movedBytes).toBeGreaterThan(50_000);
    const head = lazy.image.slice(0, lazy.image.indexOf("\n--[=="));
    expect(head.length).toBeLessThan(readFileSync(plain, "utf8").length - 40_000);
  });

  for (const lua of ["lua5.4", "lua5.3"]) {
    it(`answers as the bundle it came from on ${lua} (Ed25519, CBOR, Base45, SHA-512, signing)`, async (ctx) => {
      if (!haveTool(lua)) return ctx.skip();
      const bundle = lua === "lua5.3" ? buildLuaBundle("test/conformance/core-entry.ts", "5.3", true) : plain;
      const path = lua === "lua5.3" ? join(dir, "lazy53.lua") : lazyPath;
      if (lua === "lua5.3") writeFileSync(path, withLazyFunctions(readFileSync(bundle, "utf8"), 120).image);
      const c = calls();
      const want = await nativeRunner(lua, bundle).callMany(c);
      expect(await nativeRunner(lua, path).callMany(c)).toEqual(want);
      expect(want.filter((x) => x === "OK").length).toBeGreaterThan(5);
    }, 120_000);
  }

  it("loads a function from the file only when it is first called, and once", () => {
    // Trace the loads: none while the bundle loads its modules' top levels beyond those they run, some at the first verification, none at the second.
    const script = `
      local loads = 0
      PINDAI_LAZY_TRACE = function() loads = loads + 1 end
      local m = dofile(arg[1])
      local atLoad = loads
      m.ed25519(arg[2], arg[3], arg[4])
      local first = loads - atLoad
      m.ed25519(arg[2], arg[3], arg[4])
      print(atLoad, first, loads - atLoad - first)`;
    writeFileSync(join(dir, "trace.lua"), script);
    const g = wycheproof.testGroups[0];
    const r = spawnSync("lua5.4", [join(dir, "trace.lua"), lazyPath, g.publicKey.pk, g.tests[0].msg, g.tests[0].sig], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const [atLoad, first, second] = r.stdout.trim().split(/\s+/).map(Number);
    expect(atLoad).toBeLessThan(lazy.functions / 2);
    expect(first).toBeGreaterThan(0);
    expect(second).toBe(0);
  });

  it("drops the functions that ran while the bundle loaded once its entry has loaded, and loads them again when called", () => {
    // On a device: what the boot ran once leaves RAM (host/build/lua-lazy.ts, ____boot).
    const script = `
      local loads = {}
      PINDAI_LAZY_TRACE = function(at) loads[#loads + 1] = at end
      local m = dofile(arg[1])
      local ranOnLoad = {}
      for _, at in ipairs(loads) do ranOnLoad[at] = true end
      local atLoad = #loads
      loads = {}
      m.sha512Hex("abcd")
      m.ed25519(arg[2], arg[3], arg[4])
      local again = 0
      for _, at in ipairs(loads) do if ranOnLoad[at] then again = again + 1 end end
      print(atLoad, again)`;
    writeFileSync(join(dir, "drop.lua"), script);
    const g = wycheproof.testGroups[0];
    const r = spawnSync("lua5.4", [join(dir, "drop.lua"), lazyPath, g.publicKey.pk, g.tests[0].msg, g.tests[0].sig], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const [atLoad, again] = r.stdout.trim().split(/\s+/).map(Number);
    expect(atLoad).toBeGreaterThan(0);
    expect(again).toBeGreaterThan(0);
  });

  it("takes a name inside a string for no call: a class named in a string (C.name = \"C\") keeps its methods lazy", () => {
    // typescript-to-lua writes every class's name as a string at its module's top level.
    const classes = [...readFileSync(plain, "utf8").matchAll(/^([A-Za-z_]\w*)\.name = "\1"$/gm)].map((m) => m[1]);
    expect(classes.length).toBeGreaterThan(0);
    const lazyConstructors = classes.filter((c) => lazy.image.includes(`${c}.prototype.____constructor = ____lzf(`));
    expect(lazyConstructors.length).toBeGreaterThan(0);
  });

  // The bytecode cache (host/build/lua-lazy.ts): without NodeMCU's file module it lies beside the image file, as <image>.lbc.
  const cacheDriver = `
    local compiles, hostLoad = 0, load
    load = function(s, name, mode, ...)
      if mode ~= "b" and type(s) == "string" and #s > 0 then compiles = compiles + 1 end
      return hostLoad(s, name, mode, ...)
    end
    local m = dofile(arg[1])
    print(m.ed25519(arg[2], arg[3], arg[4]), m.sha512Hex("abcd"), m.base45("BB8"), compiles)`;
  const runCached = (lua: string, image: string): { answers: string; compiles: number } => {
    writeFileSync(join(dir, "cache-driver.lua"), cacheDriver);
    const g = wycheproof.testGroups[0];
    const r = spawnSync(lua, [join(dir, "cache-driver.lua"), image, g.publicKey.pk, g.tests[0].msg, g.tests[0].sig], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const parts = r.stdout.trim().split("\t");
    return { answers: parts.slice(0, -1).join(" "), compiles: Number(parts[parts.length - 1]) };
  };

  it("keeps what it compiled in a bytecode cache: the next run compiles nothing; another Lua or another image starts it anew", (ctx) => {
    if (!haveTool("lua5.3")) return ctx.skip();
    // The 5.3 bundle runs on both Lua versions (as the device image does).
    const image = join(dir, "cached.lua");
    writeFileSync(image, withLazyFunctions(readFileSync(buildLuaBundle("test/conformance/core-entry.ts", "5.3", true), "utf8"), 120).image);
    const first = runCached("lua5.4", image);
    expect(first.answers).toMatch(/^OK /);
    expect(first.compiles).toBeGreaterThan(10);
    expect(readFileSync(image + ".lbc").length).toBeGreaterThan(1000);
    expect(runCached("lua5.4", image)).toEqual({ answers: first.answers, compiles: 0 });
    // lua5.3's bytecode header differs: the cache is made anew for it, and again for lua5.4 after.
    expect(runCached("lua5.3", image)).toEqual({ answers: first.answers, compiles: first.compiles });
    expect(runCached("lua5.3", image)).toEqual({ answers: first.answers, compiles: 0 });
    expect(runCached("lua5.4", image)).toEqual({ answers: first.answers, compiles: first.compiles });
    // Another image at the same path (other functions at other places): its own cache.
    writeFileSync(image, withLazyFunctions(readFileSync(buildLuaBundle("test/conformance/core-entry.ts", "5.3", true), "utf8"), 200).image);
    expect(runCached("lua5.4", image).compiles).toBeGreaterThan(10);
  }, 60_000);

  it("rebuilds a torn or damaged bytecode cache and never runs it: cut anywhere, entries torn, bytes lost and written over", () => {
    const image = join(dir, "torn.lua");
    writeFileSync(image, lazy.image);
    const first = runCached("lua5.4", image);
    const whole = readFileSync(image + ".lbc");
    // The tag: "PLBC", the image's id (16 hex digits), the bytecode of an empty function; then the directory.
    const emptyDump = Number(spawnSync("lua5.4", ["-e", 'io.write(#string.dump(load(""), true))'], { encoding: "utf8" }).stdout);
    const tagAndDirectory = 4 + 16 + emptyDump;
    expect(whole.subarray(0, 4).toString()).toBe("PLBC");
    const damaged: Array<[string, Buffer]> = [];
    // Cut at every point of the tag and the directory's start, and through the bytecode.
    for (const n of [0, 1, 3, 10, tagAndDirectory - 1, tagAndDirectory + 5, tagAndDirectory + 100, tagAndDirectory + 12 * lazy.functions - 1]) damaged.push([`cut at ${n}`, whole.subarray(0, n)]);
    for (let n = whole.length - 1; n > whole.length * 0.6; n -= Math.ceil(whole.length / 40)) damaged.push([`cut at ${n}`, whole.subarray(0, n)]);
    // Every used entry torn: its first k bytes from another entry.
    const entries: number[] = [];
    for (let i = 0; i < lazy.functions; i++) if (whole.readUInt32LE(tagAndDirectory + 12 * i) > 0) entries.push(tagAndDirectory + 12 * i);
    expect(entries.length).toBeGreaterThan(5);
    for (const k of [2, 4, 6, 8, 10]) {
      const b = Buffer.from(whole);
      for (let i = 0; i < entries.length; i++) whole.copy(b, entries[i], entries[(i + 1) % entries.length], entries[(i + 1) % entries.length] + k);
      damaged.push([`entries torn at byte ${k}`, b]);
    }
    // The bytecode's second half lost and written over by other bytecode (the entries still name it).
    const half = Math.floor((whole.length + tagAndDirectory) / 2);
    const firstCode = tagAndDirectory + 12 * lazy.functions;
    damaged.push(["bytecode written over", Buffer.concat([whole.subarray(0, half), whole.subarray(firstCode, firstCode + whole.length - half)])]);
    for (const [what, bytes] of damaged) {
      writeFileSync(image + ".lbc", bytes);
      const r = runCached("lua5.4", image);
      expect(r.answers, what).toBe(first.answers);
      expect(runCached("lua5.4", image), what + ", then from the rebuilt cache").toEqual({ answers: first.answers, compiles: 0 });
    }
  }, 120_000);

  it("drops the loaded functions on PINDAI_LAZY_DROP only past the bytes of source it is given", () => {
    const script = `
      local loads = 0
      PINDAI_LAZY_TRACE = function() loads = loads + 1 end
      local m = dofile(arg[1])
      m.sha512Hex("abcd")
      local at = loads
      PINDAI_LAZY_DROP(1e9)
      m.sha512Hex("abcd")
      local kept = loads - at
      PINDAI_LAZY_DROP(0)
      m.sha512Hex("abcd")
      print(kept, loads - at - kept)`;
    writeFileSync(join(dir, "drop-above.lua"), script);
    const r = spawnSync("lua5.4", [join(dir, "drop-above.lua"), lazyPath], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const [kept, again] = r.stdout.trim().split(/\s+/).map(Number);
    expect(kept).toBe(0);
    expect(again).toBeGreaterThan(0);
  });

  it("says which file it could not read when the image's file is gone", () => {
    const moved = join(dir, "gone.lua");
    writeFileSync(moved, lazy.image);
    const script = `local m = dofile(arg[1]); os.remove(arg[1]); local ok, e = pcall(m.ed25519, arg[2], arg[3], arg[4]); print(ok, e)`;
    writeFileSync(join(dir, "gone-driver.lua"), script);
    const g = wycheproof.testGroups[0];
    const r = spawnSync("lua5.4", [join(dir, "gone-driver.lua"), moved, g.publicKey.pk, g.tests[0].msg, g.tests[0].sig], { encoding: "utf8" });
    expect(r.stdout).toContain("false");
    expect(r.stdout).toContain("cannot open " + moved);
  });
});
