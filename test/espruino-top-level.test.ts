// The flashed Espruino image at the top level (host/build/espruino-top-level.js):
// the iife and TypeScript's class iifes taken away computes the same, and a
// top-level name that is one of Espruino's globals is refused, not shadowed.
import vm from "node:vm";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain JS build module
import { unwrapImage } from "../host/build/espruino-top-level.js";

const IMAGE =
  "var pindaiImage=function(x){var n=2;" +
  "var K=function(){function K(a){this.a=a}K.prototype.twice=function(){return this.a*n};K.tag=7;return K}();" +
  "var M=function(){function M(){}var hidden=1;M.prototype.h=function(){return hidden};return M}();" +
  "function f(v){return new K(v).twice()+K.tag+new M().h()}x.out=f(5);return x}({});";

describe("the Espruino image at the top level", () => {
  it("runs its body and class bodies at the top level and computes the same", () => {
    const flat = unwrapImage(IMAGE) as string;
    expect(flat.startsWith("var x={};var n=2;function K(a){this.a=a}K.prototype.twice=")).toBe(true);
    expect(flat).toContain("var M=function(){"); // declares more than M: left as it is
    expect(flat.trim().endsWith("var pindaiImage=x;")).toBe(true);
    const wrapped = vm.runInNewContext(IMAGE + "pindaiImage.out");
    const unwrapped = vm.runInNewContext(flat + "pindaiImage.out");
    expect(wrapped).toBe(10 + 7 + 1);
    expect(unwrapped).toBe(wrapped);
  });

  it("refuses a top-level name that is one of Espruino's globals, and any other shape", () => {
    expect(() => unwrapImage("var p=function(x){var g=1;return x}({});")).toThrow(/g is one of Espruino's globals/);
    expect(() => unwrapImage("var p=function(x){function load(){}return x}({});")).toThrow(/load/);
    expect(() => unwrapImage("(function(){})();")).toThrow(/not one var statement/);
    expect(() => unwrapImage("var p=function(x){return 1}({});")).toThrow(/return x/);
  });
});
