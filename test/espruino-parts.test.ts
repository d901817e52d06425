// The Espruino image in parts (host/build/espruino-parts.js): what a scan
// does not need (the admin protocol, the table maker, signing, the card
// path) is in Storage files of its own, loaded when called. Checked three
// ways: the split on a small program run in Node (stubs, a part's own
// functions, dropping and loading again); the built image's files; and the
// image flashed as `pindai flash` writes it, booted from Storage on a real
// Espruino for Linux (ESPRUINO), where the admin line answers although the
// boot file holds no admin code, and UNLOCK keeps the parts.
import { afterAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import vm from "node:vm";
import { bootFromFlash, flashToFolder } from "./support/espruino-boot";
import { killTree } from "./support/pty-exec";
import { haveTool } from "./support/tools";
import { build, type BuildResult } from "../host/build/build";
import { BOOT_FILE, IMAGE_FILE, espruinoStorageFiles } from "../host/src/flash-espruino";
import { DeviceClient } from "../host/issuer/device-client";
import { isDeviceFile, isImageFile } from "../firmware/app/device-files";
import { makeWorld } from "../sim/world";
import { CONSTANTS } from "../firmware/core/ed25519-curve";
// @ts-expect-error plain JS build step
import { markFunctions, splitImage } from "../host/build/espruino-parts.js";
import { demandImage } from "./support/pool-image";

const ESPRUINO = process.env.ESPRUINO;
if (!ESPRUINO) console.warn("\n*** SKIPPED: ESPRUINO is not set: the image's parts were not loaded from Storage on a real Espruino ***\n");

const procs: ChildProcess[] = [];
afterAll(() => procs.forEach((p) => killTree(p)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the split (host/build/espruino-parts.js)", () => {
  // Two modules: "a.ts" stays, "b.ts" is the part "pb". The image calls b's `big` and the
  // methods `run` (a name an object literal of the image has too) and `$go`, and takes `val`
  // as a value; `helper` and `inner` only b calls.
  const program =
    '__pindaiModule("a.ts");var calls=[],R={run:function(){return 0}};function C(){this.n=1}' +
    '__pindaiModule("b.ts");function helper(x){return x*2}function big(x){return helper(x)+1}function val(){return 5}' +
    "C.prototype.run=function(){return this.inner()+big(this.n)};C.prototype.inner=function(){return 10};C.prototype.$go=function(y){return this.n+y};" +
    '__pindaiModule("a.ts");function main(){var f=val;return new C().run()+big(0)+new C().$go(2)+f()}';
  const parts = { pb: { modules: ["b.ts"], drop: true } };

  /** A split image run in Node as on Espruino: Storage holds its parts, `free` variables are free, time and timers go by tick(). */
  function started(split: { image: string; parts: Record<string, string> }, free = 3000) {
    const timers: Array<() => void> = [];
    let now = 0;
    const ctx: Record<string, unknown> = {
      process: { memory: () => ({ free }) },
      require: () => ({ read: (f: string) => (f.startsWith("pindai.") ? split.parts[f.slice(7)] : undefined) }),
      getTime: () => now,
      setTimeout: (fn: (...a: unknown[]) => void, _ms: number, ...args: unknown[]) => timers.push(() => fn(...args)),
    };
    ctx.global = ctx;
    vm.createContext(ctx);
    vm.runInContext(split.image, ctx);
    return { ctx, tick: (s: number) => ((now += s), timers.splice(0).forEach((t) => t())), pending: () => timers.length, clearTimers: () => timers.splice(0) };
  }

  function run(free = 3000) {
    const split = splitImage(program, parts);
    return { split, ...started(split, free) };
  }

  it("moves the part's functions out of the image: what the image only calls is called through the loader, a stub only for the rest", () => {
    const { split } = run();
    expect(split.parts.pb).toContain("helper=function(x)");
    expect(split.parts.pb).toContain("C.prototype.inner=function");
    expect(split.parts.pb).toContain("big=function(x){return helper(x)+1}");
    expect(split.parts.pb).toContain("val$=function(){return 5}");
    expect(split.parts.pb).toContain("C.prototype.$go=function(y){return this.n+y}");
    expect(split.parts.pb).toContain("C.prototype.run$=function(){return this.inner()+big(this.n)}");
    const image = split.image.split("\n").filter((l: string) => !l.startsWith("$Q.") && !l.startsWith("$D.")).join("\n");
    // Only called: each call loads the part, no stub (a stub costs the variables of a function).
    expect(image).toContain('function main(){var f=val;return new C().run()+$c("pb","big",0)+$m("pb",new C(),"$go",2)+f()}');
    expect(image).not.toMatch(/function big\(|\.\$go=/);
    // Taken as a value (`val`), or a method name something else defines too (`run`): a stub.
    expect(image).toContain('function val(){$p("pb");try{return val$.apply(this,arguments)}finally{$x("pb")}}');
    expect(image).toContain("C.prototype.run=function(){");
    expect(image).not.toMatch(/helper|inner|x\*2/);
    expect(image).toContain("function C(){this.n=1}");
    expect(image).not.toContain("__pindaiModule");
  });

  it("loads the part on the first call, drops it once idle, and loads it again", () => {
    const { ctx, tick } = run();
    expect(ctx.helper).toBeUndefined();
    expect(vm.runInContext("main()", ctx)).toBe(22);
    expect(typeof ctx.helper).toBe("function");
    tick(0.5); // called half a second ago: kept
    expect(typeof ctx.helper).toBe("function");
    tick(1);
    expect(ctx.helper).toBeUndefined(); // dropped: its names are gone
    expect(vm.runInContext("typeof C.prototype.inner", ctx)).toBe("undefined");
    expect(vm.runInContext("typeof C.prototype.$go", ctx)).toBe("undefined");
    expect(vm.runInContext("main()", ctx)).toBe(22);
  });

  it("sets its idle timer again when every timer was cleared (the boot's storage sweep does)", () => {
    const { ctx, tick, pending, clearTimers } = run();
    expect(vm.runInContext("main()", ctx)).toBe(22);
    expect(pending()).toBe(1);
    clearTimers(); // as clearTimeout() with no argument does
    vm.runInContext("main()", ctx); // within 2 s of the first: still counted as set
    expect(pending()).toBe(0);
    tick(2.5);
    expect(typeof ctx.helper).toBe("function"); // no timer: kept
    expect(vm.runInContext("main()", ctx)).toBe(22); // the part still loaded: its next call sets a timer
    expect(pending()).toBe(1);
    tick(1.5);
    expect(ctx.helper).toBeUndefined();
  });

  it("drops the part once idle although a call was cut off without its finally (Espruino out of memory)", () => {
    const { ctx, tick } = run();
    vm.runInContext('$p("pb")', ctx); // a call that never reached $x
    expect(typeof ctx.helper).toBe("function");
    tick(1.5);
    expect(ctx.helper).toBeUndefined();
    expect(vm.runInContext("main()", ctx)).toBe(22);
  });

  it("where variables are short, drops the part as soon as its last call returns", () => {
    const { ctx, pending, tick } = run(1000);
    expect(vm.runInContext("main()", ctx)).toBe(22);
    expect(ctx.helper).toBeUndefined();
    expect(vm.runInContext("main()", ctx)).toBe(22);
    // Loaded and dropped again and again: one idle timer, not one a load (each costs variables).
    expect(pending()).toBe(1);
    tick(3); // it finds the part gone and ends
    expect(pending()).toBe(0);
    expect(vm.runInContext("main()", ctx)).toBe(22);
    expect(pending()).toBe(1);
  });

  it("a demand run's loader (test/support/pool-image.ts) drops a part at its last return and writes the usage and the parts loaded at each load and return", () => {
    const split = splitImage(program, parts);
    const image = demandImage(split.image, "/demand.log");
    const fake = "var written=[],$u=100,E={openFile:function(){return {write:function(t){written.push(t)},close:function(){}}}},process={memory:function(){return {free:3000,usage:++$u}}};";
    const { ctx } = started({ image: fake + image, parts: split.parts }, 3000);
    expect(vm.runInContext("main()", ctx)).toBe(22);
    expect(ctx.helper).toBeUndefined(); // dropped at once, though 3,000 are free (the normal loader keeps it a second)
    const lines = vm.runInContext("written", ctx) as string[];
    // main() loads pb four times (big, run, $go through the loader; val's stub): a load and a last return each.
    expect(lines.length).toBe(8);
    // Each line: the usage, then the parts loaded then (pb at its load and at its last return, before the drop).
    expect(lines).toEqual([101, 102, 104, 105, 107, 108, 110, 111].map((u) => `${u} pb\n`));
    expect(() => demandImage("var $P={};", "/x")).toThrow(/no single/);
  });

  it("a part that holds another keeps it loaded while its call runs: one load for several calls into it, where variables are short", () => {
    const program2 =
      '__pindaiModule("c.ts");function one(x){return x+1}function two(x){return x*2}' +
      '__pindaiModule("s.ts");function sign(x){return two(one(x))+one(0)}' +
      '__pindaiModule("a.ts");function main(){return sign(3)}';
    const reads = (holds: string | undefined) => {
      const named = { pc: { modules: ["c.ts"], drop: true }, ps: { modules: ["s.ts"], drop: true, ...(holds ? { holds } : {}) } };
      const split = splitImage(program2, named);
      const { ctx } = started(split, 1000); // short of variables: a part goes when its last call returns
      const read: string[] = [];
      ctx.require = () => ({ read: (f: string) => (read.push(f), f.startsWith("pindai.") ? split.parts[f.slice(7)] : undefined) });
      expect(vm.runInContext("main()", ctx)).toBe(9);
      expect(ctx.one).toBeUndefined(); // both dropped once the call is over
      expect(ctx.sign).toBeUndefined();
      return read.filter((f) => f === "pindai.pc").length;
    };
    expect(reads(undefined)).toBe(3); // loaded for each of sign's three calls into it
    expect(reads("pc")).toBe(1);
  });

  it("keeps one idle timer for all its parts, and drops each once it is idle", () => {
    const two = program.replace('__pindaiModule("a.ts");function main', '__pindaiModule("c.ts");function other(){return 7}__pindaiModule("a.ts");function main').replace("+f()}", "+f()+other()}");
    const { ctx, tick, pending } = started(splitImage(two, { ...parts, pc: { modules: ["c.ts"], drop: true } }));
    expect(vm.runInContext("main()", ctx)).toBe(29);
    expect(typeof ctx.helper).toBe("function");
    expect(typeof ctx.other).toBe("function");
    expect(pending()).toBe(1); // two parts loaded, one timer
    tick(0.5);
    expect(vm.runInContext('$c("pc","other")', ctx)).toBe(7); // pc used again, pb not
    tick(0.7); // pb idle for 1.2 s: dropped; pc used 0.7 s ago: kept, the timer set again
    expect(ctx.helper).toBeUndefined();
    expect(typeof ctx.other).toBe("function");
    expect(pending()).toBe(1);
    tick(1.5);
    expect(ctx.other).toBeUndefined();
    expect(pending()).toBe(0);
  });

  it("refuses an image that calls a part's function while it loads, before a class that part adds methods to", () => {
    const part = '__pindaiModule("b.ts");function big(x){return x+1}C.prototype.m=function(){return 1};';
    const early = part + '__pindaiModule("a.ts");var K=big(1);function C(){}function main(){return new C().m()+K}';
    expect(() => splitImage(early, parts)).toThrow(/calls big of the part pb while it loads, before C/);
    // Declared first, or called only inside a function: the part loads after the class exists.
    const { ctx } = started(splitImage(part + '__pindaiModule("a.ts");function C(){}var K=big(1);function main(){return new C().m()+K}', parts));
    expect(vm.runInContext("main()", ctx)).toBe(3);
    expect(() => splitImage(part + '__pindaiModule("a.ts");function f(){return big(1)}function C(){}', parts)).not.toThrow();
  });

  it("calls through the loader nested in each other's receiver and arguments", () => {
    const nested = program.replace(/function main\(\)\{[^}]*\}$/, "function main(){return $c0(big(big(1)),new C().$go(big(0)),mk(big(2)).$go(3))}function mk(n){var c=new C();c.n=n;return c}function $c0(a,b,c){return [a,b,c].join()}");
    const split = splitImage(nested, parts);
    expect(split.image).toContain('$c0($c("pb","big",$c("pb","big",1)),$m("pb",new C(),"$go",$c("pb","big",0)),$m("pb",mk($c("pb","big",2)),"$go",3))');
    const { ctx } = started(split);
    // An object of its own with a method of that name (as an Espruino object may have): called, the part not loaded.
    expect(vm.runInContext('$m("pb",{$go:function(y){return y*9}},"$go",2)', ctx)).toBe(18);
    expect(ctx.helper).toBeUndefined();
    expect(vm.runInContext("main()", ctx)).toBe("7,2,8");
  });

  it("moves single functions a part names (markFunctions) and no others; refuses a name not there", () => {
    const ts = "function keep(a){return a+1}\nfunction rare(a){return a*3}\nvar K=(function(){function K(){}K.prototype.hot=function(){return 1};K.prototype.seldom=function(b){return b-1};return K})();";
    const named = { pc: { functions: ["m.ts#rare", "m.ts#K.seldom"], drop: true } };
    const marked = markFunctions(ts, "m.ts", named);
    expect(marked).toContain('function rare(a){__pindaiPart("pc");return a*3}');
    expect(marked).toContain('K.prototype.seldom=function(b){__pindaiPart("pc");return b-1}');
    expect(marked).toContain("function keep(a){return a+1}");
    expect(markFunctions(ts, "other.ts", named)).toBe(ts);
    // As the image has it after the top-level step: the module's statements at the top level.
    const top = '__pindaiModule("m.ts");' + markFunctions("function keep(a){return a+1}function rare(a){return a*3}function K(){}K.prototype.hot=function(){return 1};K.prototype.seldom=function(b){return b-1};", "m.ts", named) + "function main(){var k=new K();return keep(1)+rare(2)+k.hot()+k.seldom(5)}";
    const split = splitImage(top, named);
    // The part's dropper comes with the part (the loader deletes it once it has run).
    expect(split.parts.pc).toBe("rare=function(a){return a*3};K.prototype.seldom=function(b){return b-1};$D.pc=function(){delete global.rare;delete K.prototype.seldom};");
    expect(split.image).toContain('function main(){var k=new K();return keep(1)+$c("pc","rare",2)+k.hot()+$m("pc",k,"seldom",5)}');
    expect(split.image).not.toContain("__pindaiPart");
    const { ctx } = started(split);
    expect(vm.runInContext("main()", ctx)).toBe(2 + 6 + 1 + 4);
    expect(() => markFunctions("function keep(){}", "m.ts", named)).toThrow(/no function m.ts#rare, m.ts#K.seldom/);
  });

  it("keeps in the image a function of a part's module that `keep` names: the part loads only when it calls in", () => {
    const named = { ph: { modules: ["h.ts"], keep: ["h.ts#hash"], drop: true } };
    const src = "var NATIVE=undefined;function portable(m){return m*2}function hash(m){return NATIVE!==undefined?NATIVE(m):portable(m)}";
    expect(markFunctions(src, "h.ts", named)).toContain('function hash(m){__pindaiPart("");return');
    const top = '__pindaiModule("h.ts");' + markFunctions(src, "h.ts", named) + '__pindaiModule("a.ts");function main(){return hash(21)}';
    const split = splitImage(top, named);
    expect(split.parts.ph).toContain("portable=function(m){return m*2}");
    expect(split.parts.ph).not.toContain("hash");
    expect(split.image).toContain('function hash(m){return NATIVE!==undefined?NATIVE(m):$c("ph","portable",m)}');
    const { ctx } = started(split);
    expect(vm.runInContext("main()", ctx)).toBe(42);
    // With a native the part is never loaded.
    const { ctx: withNative } = started(split);
    vm.runInContext("NATIVE=function(m){return m+1}", withNative);
    expect(vm.runInContext("main()", withNative)).toBe(22);
    expect(vm.runInContext("$P.ph", withNative)).toBeUndefined();
  });

  it("a function the part makes calls the part through the loader or a stub: it may run after the drop", () => {
    const named = { pc: { functions: ["m.ts#make", "m.ts#twice", "m.ts#half"], drop: true } };
    const src = "function make(n){var t=twice(n);return function(){return twice(t)+half(n)}}function twice(a){return a*2}function half(a){return a/2}";
    const top = '__pindaiModule("m.ts");' + markFunctions(src, "m.ts", named) + "var cb=make(4);function main(){return cb()}";
    const split = splitImage(top, named);
    // make's own call stays direct; the function it makes goes through the loader for both.
    expect(split.parts.pc).toContain('make=function(n){var t=twice(n);return function(){return $c("pc","twice",t)+$c("pc","half",n)}}');
    const { ctx, tick } = started(split);
    expect(typeof (ctx.$D as Record<string, unknown>).pc).toBe("function"); // loaded (make ran): its dropper came with it
    tick(5);
    expect(ctx.twice).toBeUndefined(); // dropped
    expect((ctx.$D as Record<string, unknown>).pc).toBeUndefined(); // and the dropper with it
    expect(vm.runInContext("main()", ctx)).toBe(18);
  });

  it("sees a method called beside a local of the same name (o.go() where go is a local): called through the loader", () => {
    const named = { pb: { modules: ["b.ts"], drop: true } };
    const src = '__pindaiModule("a.ts");function C(){this.n=1}__pindaiModule("b.ts");C.prototype.go=function(){return this.n+1};__pindaiModule("a.ts");function main(){var go=10;return new C().go()+go}';
    const split = splitImage(src, named);
    expect(split.image).toContain('function main(){var go=10;return $m("pb",new C(),"go")+go}');
    const { ctx } = started(split);
    expect(vm.runInContext("main()", ctx)).toBe(12);
  });

  it("moves the part's module-level data with it when only the part reads it", () => {
    const data = '__pindaiModule("a.ts");function use(){return k()}__pindaiModule("b.ts");var T=[1,2,3];var S=0;function k(){S++;return T[1]+S}__pindaiModule("a.ts");';
    const split = splitImage(data, parts);
    expect(split.parts.pb).toBe("k=function(){S++;return T[1]+S};T=[1,2,3];S=0;$D.pb=function(){delete global.T;delete global.S;delete global.k};");
    expect(split.image).toContain('function use(){return $c("pb","k")}');
    expect(split.image).not.toMatch(/var T|var S/);
  });
});

describe("the built image's files", () => {
  let img: BuildResult;
  const world = makeWorld(Math.floor(Date.now() / 1000), 1);
  it("are the parts and pindai.img, each a file the firmware keeps; the admin code is only in its part", async () => {
    img = await build({ roots: [Buffer.from(world.roots[0].publicKey).toString("hex")], version: "parts" }, mkdtempSync(join(tmpdir(), "pindai-parts-")), () => {}, ["espruino"]);
    const files = espruinoStorageFiles(readFileSync(img.espruino, "latin1"));
    expect(files.map((f) => f.name)).toEqual(["pindai.adm", "pindai.tbl", "pindai.qr", "pindai.sig", "pindai.curve", "pindai.scr", "pindai.lay", "pindai.sha", "pindai.boot", "pindai.cold", "pindai.sto", "pindai.kss", "pindai.card", IMAGE_FILE]);
    for (const f of files) expect(isImageFile(f.name) && isDeviceFile(f.name)).toBe(true);
    const byName = Object.fromEntries(files.map((f) => [f.name, f.data]));
    // An admin error text: in the admin part, not in the boot file.
    expect(byName["pindai.adm"]).toContain("SIGNATURE_REQUIRED");
    expect(byName[IMAGE_FILE]).not.toContain("SIGNATURE_REQUIRED");
    // (The admin line's handle method, by its short name, host/build/espruino-properties.js: called through the loader.)
    expect(byName[IMAGE_FILE]).toMatch(/\$m\("adm",\w+,"\$\w+",/);
    // The curve's constants (2d's limbs as the image writes them) with the curve, never in the image:
    // left there, they would load the curve at boot and hold it (a Pico's KEYSET needs that room).
    const d2 = Array.from(CONSTANTS.D2).join(",");
    expect(byName["pindai.curve"]).toContain(d2);
    expect(byName[IMAGE_FILE]).not.toContain(d2);
    // A scanned code's decoding is a part of its own, loaded per scan: the image calls it through the loader.
    expect(byName["pindai.qr"].length).toBeGreaterThan(1000);
    expect(byName[IMAGE_FILE]).toMatch(/\$c\("qr",/);
    // The screens' words and layout: loaded for a screen, never in the image.
    expect(byName["pindai.scr"]).toContain("DITOLAK");
    expect(byName[IMAGE_FILE]).not.toContain("DITOLAK");
    expect(byName[IMAGE_FILE]).toMatch(/\$c\("scr",/);
    // The loader is what a demand run (bench/espruino-pool.ts) rewrites.
    expect(demandImage(byName[IMAGE_FILE], "/d")).toContain("$T()");
  }, 300_000);
});

describe.skipIf(!ESPRUINO || !haveTool("socat"))("the parts flashed and booted on Espruino for Linux (ESPRUINO names the binary)", () => {
  it("the admin line answers from pindai.adm (not in the boot file), again after the part was dropped, and UNLOCK keeps every part", async () => {
    const world = makeWorld(Math.floor(Date.now() / 1000), 1);
    const dir = mkdtempSync(join(tmpdir(), "pindai-parts-"));
    const img = await build({ roots: [Buffer.from(world.roots[0].publicKey).toString("hex")], version: "parts" }, join(dir, "dist"), () => {}, ["espruino"]);
    // Storage as pindai flash leaves it: each file of the image, then the boot loader.
    const { files, listed } = flashToFolder(ESPRUINO!, dir, img.espruino);
    expect(listed).toBe([BOOT_FILE, ...files.map((f) => f.name)].sort().join(","));

    const { write, link, out, stop } = await bootFromFlash(ESPRUINO!, dir, procs);
    try {
      await sleep(1500);
      expect(await link.request("VERSION")).toBe("OK pindai parts");
      await sleep(3000); // idle: the admin part is dropped
      expect(await link.request("ID")).toMatch(/^OK [0-9a-f]{16} [0-9a-f]{64}$/); // loaded again
      expect(await new DeviceClient(link, world.rootKey).unlock()).toBe("UNLOCK");
      await sleep(1000);
      const from = out().length;
      write(`\x10print("<"+"files "+require("Storage").list().sort().join(",")+">")\n`);
      for (let i = 0; i < 100 && !/<files [^>]*>/.test(out().slice(from)); i++) await sleep(100);
      const listed = /<files ([^>]*)>/.exec(out().slice(from));
      expect(listed, out().slice(-400)).not.toBeNull();
      const left = listed![1].split(",");
      for (const f of files) expect(left).toContain(f.name); // kept by UNLOCK
      expect(left).toContain(BOOT_FILE);
      expect(left).not.toContain("device.key"); // the secrets are gone
    } catch (e) {
      throw new Error(`${(e as Error).message}; Espruino printed: ${JSON.stringify(out().slice(-600))}`);
    } finally {
      await stop();
    }
  }, 600_000);
});
