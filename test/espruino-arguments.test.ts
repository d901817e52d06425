// Parameters read from `arguments` in the flashed Espruino image
// (host/build/espruino-arguments.js): the rules on a program made for them,
// the same results on Node, and on a real Espruino (ESPRUINO) the same
// results from Storage with a variable less per parameter moved. The whole
// image runs this way in the real-Espruino tests (images, flash, boot-files,
// parts, pool).
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain JS module
import { paramsAsArguments } from "../host/build/espruino-arguments.js";

const ESPRUINO = process.env.ESPRUINO;
if (!ESPRUINO) console.warn("\n*** SKIPPED: ESPRUINO is not set: parameters read from `arguments` were not run on a real Espruino ***\n");

// Every function here is made when the definitions run, except make's inner one. Names of
// at most 3 characters: with the hidden prefix a parameter is then one variable on any build.
const DEFS = `
function add(a,b){return a+b}
function Counter(s0){this.n=s0}
Counter.prototype.step=function(by){this.n+=by;return this.n};
function outer(x,y){var inner=function(z){return x*z+y};return inner(3)}
function variadic(){var s=0;for(var i=0;i<arguments.length;i++)s+=arguments[i];return s}
function wraps(a){return function(){return a+arguments.length}}
function fact(n){return n<=1?1:n*fact(n-1)}
function missing(a,b){return b===undefined?"none":b}
function shadow(a){var a;return a}
function make(){return function(q){return q*2}}
function hot(p,q){return p*q}
`;
const CALLS = `var c=new Counter(10);c.step(5);
out=JSON.stringify([add(2,3),c.step(1),outer(2,1),variadic(1,2,3),wraps(4)(1,2),fact(6),missing(1),shadow(7),make()(21),hot(6,7)]);`;

const keepHot = (s: { type: string; id?: { name: string } }) => s.type === "FunctionDeclaration" && s.id?.name === "hot";

function onNode(code: string): string {
  const ctx: { out?: string } = {};
  vm.runInNewContext(code + "\n" + CALLS, ctx);
  return ctx.out!;
}

describe("parameters as reads of `arguments`", () => {
  const moved = paramsAsArguments(DEFS, keepHot);

  it("moves the parameters of functions that neither read `arguments` nor sit in one that does", () => {
    const code: string = moved.code;
    expect(code).toContain("function add(){var a=arguments[0],b=arguments[1];return a+b}");
    expect(code).toContain("function(){var by=arguments[0];this.n+=by");
    // Inside a function whose `arguments` is now read: Espruino would find the outer array first.
    expect(code).toContain("var inner=function(z){return x*z+y}");
    // Reads `arguments` itself, or has a function inside that does.
    expect(code).toContain("function wraps(a){");
    expect(code).toContain("function variadic(){var s=0");
    // Named by the caller as hot.
    expect(code).toContain("function hot(p,q){return p*q}");
    // The inner function of a function without parameters.
    expect(code).toContain("return function(){var q=arguments[0];return q*2}");
    // add 2, Counter 1, step 1, outer 2, fact 1, missing 2, shadow 1, make's inner 1
    expect(moved.moved).toBe(11);
  });

  it("gives the same results on Node", () => {
    const plain = onNode(DEFS);
    expect(JSON.parse(plain)).toEqual([5, 16, 7, 6, 6, 720, "none", 7, 42, 42]);
    expect(onNode(moved.code)).toBe(plain);
  });

  it.skipIf(!ESPRUINO)("gives the same results on a real Espruino from Storage, a variable less for each parameter moved", () => {
    const dir = mkdtempSync(join(tmpdir(), "pindai-arguments-"));
    const run = (defs: string) => {
      const script =
        `var S=require("Storage");S.eraseAll();S.write("defs",${JSON.stringify(defs)});S.write("calls",${JSON.stringify(CALLS)});var out;` +
        `var u0=process.memory().usage;eval(S.read("defs"));var u1=process.memory().usage;eval(S.read("calls"));` +
        `console.log("RESULT "+(u1-u0)+" "+out);quit();`;
      writeFileSync(join(dir, "run.js"), script);
      const r = spawnSync(ESPRUINO!, ["run.js"], { cwd: dir, encoding: "latin1", timeout: 30_000 });
      const m = /RESULT (\d+) (.*)/.exec(r.stdout);
      if (!m) throw new Error("Espruino printed: " + r.stdout.slice(-500));
      return { vars: Number(m[1]), out: m[2].trim() };
    };
    const plain = run(DEFS);
    const args = run(moved.code);
    expect(plain.out).toBe(onNode(DEFS));
    expect(args.out).toBe(plain.out);
    // make's inner function is made only when called: its parameter is not among the definitions' variables.
    expect(plain.vars - args.vars).toBe(moved.moved - 1);
  });
});
