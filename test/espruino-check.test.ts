// The build-time check names every construct and global Espruino lacks.
import { describe, expect, it } from "vitest";
import { checkEspruino } from "../host/build/espruino-check";

const BAD: Array<[string, string]> = [
  ["var a = [...b];", "spread"],
  ["function f(...r) {}", "rest"],
  ["var {a} = o;", "destructuring"],
  ["var [x, y] = o;", "destructuring"],
  ["function f(a = 1) {}", "default parameter"],
  ["async function f() { await g(); }", "async"],
  ["function* g() { yield 1; }", "generator"],
  ["var v = o?.p;", "optional chaining"],
  ["var p = 2 ** 8;", "**"],
  ["var t = tag`x`;", "tagged template"],
  ["outer: for (;;) { break outer; }", "labelled"],
  ["var k = {[key]: 1};", "computed key"],
  ["var n = 10n;", "BigInt literal"],
  ["var m = new Map();", "global Map"],
  ["var s = new Set();", "global Set"],
  ["var d = new TextDecoder();", "global TextDecoder"],
  ["var x = Math.imul(a, b);", "Math.imul"],
  ["var a = Array.from(b);", "Array.from"],
  ["var u = Uint8Array.from(b);", "Uint8Array.from"],
  ["var i = Number.isInteger(3);", "Number.isInteger"],
  ["Object.freeze(o);", "Object.freeze"],
  ["var c = String.fromCodePoint(1);", "String.fromCodePoint"],
  ["var b = BigInt(1);", "global BigInt"],
];

const GOOD = [
  "var o = { Map: 1 }; o.Map = 2; var s = o.Set;",
  "var Map = function () {}; var m = new Map();",
  "class A { constructor() { this.x = 1; } get y() { return 2; } } var a = new A();",
  "let t = `x${1}`; const f = (a) => a ?? 0; for (const v of [1, 2]) {}",
  "var u = new Uint8Array(4); u.set([1], 0); var d = new DataView(u.buffer);",
];

describe("Espruino compatibility check", () => {
  for (const [src, what] of BAD) {
    it(`refuses ${what}`, () => {
      const f = checkEspruino(src);
      expect(f.length).toBeGreaterThan(0);
      expect(f.map((x) => x.what).join("; ")).toContain(what.split(" ").pop()!);
      expect(f[0].line).toBe(1);
    });
  }
  it("accepts what Espruino has", () => {
    for (const src of GOOD) expect(checkEspruino(src), src).toEqual([]);
  });
  it("names the line", () => {
    expect(checkEspruino("var a = 1;\nvar b = 2;\nvar m = new Map();")[0]).toEqual({ line: 3, what: "global Map" });
  });
});

describe("hoisting inside the image's wrapper", () => {
  it("refuses a top-level call of a function declared further down", () => {
    const src = "var img = (function () { const a = f(1); function f(x) { return x; } return a; })();";
    expect(checkEspruino(src).map((f) => f.what)).toEqual(["function f used before its declaration (Espruino does not hoist it)"]);
  });
  it("accepts calls inside functions, and declarations before use", () => {
    const src = "var img = (function () { function f(x) { return x; } const a = f(1); function g() { return h(); } function h() { return 2; } return a + g(); })();";
    expect(checkEspruino(src)).toEqual([]);
  });
});
