// The Espruino image's name dictionary (host/build/short-names.js): every
// function-scoped name shorter, the program still computing the same, and
// nothing that reaches outside the file renamed.
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { buildEspruinoBundle } from "./support/espruino";
// @ts-expect-error plain JS build module
import { shortenNames } from "../host/build/short-names.js";

const SOURCE = `
var exported = (function () {
  var counterValue = 0;
  function addTwoNumbers(firstNumber, secondNumber) { return firstNumber + secondNumber + counterValue; }
  function shadowing(counterValue) {
    var inner = function namedExpression(depthLeft) { return depthLeft > 0 ? namedExpression(depthLeft - 1) + 1 : counterValue; };
    return inner(3);
  }
  function useBeforeVar() { readLater = 5; var readLater; return readLater; }
  function withCatch() { try { throw new Error("boom"); } catch (problem) { return problem.message + globalHelper(2); } }
  var record = { counterValue: 7, addTwoNumbers: addTwoNumbers };
  counterValue = 1;
  return {
    sum: addTwoNumbers(2, 3),
    shadow: shadowing(10),
    early: useBeforeVar(),
    caught: withCatch(),
    prop: record.counterValue + record["counterValue"],
    max: Math.max(record.addTwoNumbers(1, 1), 0),
    args: (function (oneArgument) { return arguments.length + oneArgument; })(4),
  };
})();
`;

function run(code: string): unknown {
  const ctx = { globalHelper: (n: number) => n * 10, result: undefined as unknown };
  vm.runInNewContext(code + "\nresult = exported;", ctx);
  return ctx.result;
}

describe("short names for the Espruino image", () => {
  it("computes the same with every function-scoped name at most 4 characters", () => {
    const out: string = shortenNames(SOURCE);
    expect(run(out)).toEqual(run(SOURCE));
    expect(run(out)).toMatchObject({ sum: 6, shadow: 13, early: 5, caught: "boom20", prop: 14, max: 3, args: 5 });
    for (const gone of ["counterValue =", "function addTwoNumbers", "firstNumber", "namedExpression", "depthLeft", "readLater", "problem", "oneArgument"]) {
      expect(out).not.toContain(gone);
    }
    // What reaches outside stays: the top-level name, globals, arguments, property names.
    for (const kept of ["var exported", "globalHelper(2)", "Math.max", "arguments.length", "counterValue:7", '["counterValue"]', ".counterValue", "addTwoNumbers:"]) {
      expect(out.replace(/\s/g, "")).toContain(kept.replace(/\s/g, ""));
    }
  });

  it("gives two names one short name never, and none a reserved word or Espruino token", () => {
    // 2,000 distinct parameter names: past the one- and two-letter names, into three letters.
    const params = Array.from({ length: 2000 }, (_, i) => `parameterNumber${i}`);
    const src = `var f = (function () { function big(${params.join(",")}) { return [${params.join(",")}]; } return big; })();`;
    const out: string = shortenNames(src);
    const header = /function \w+\(([^)]{100,})\)/.exec(out)![1].split(",");
    expect(new Set(header).size).toBe(2000);
    for (const n of header) {
      expect(n.length).toBeLessThanOrEqual(4);
      expect(["do", "if", "in", "of", "for", "let", "new", "try", "var", "int", "get", "set"]).not.toContain(n);
    }
    const args = params.map((_, i) => i);
    const fn = vm.runInNewContext(out + "\nf;");
    expect(Array.from(fn(...args) as number[])).toEqual(args);
  });

  it("refuses what is not ES5 rather than guess its scope", () => {
    expect(() => shortenNames("(function () { let blockScoped = 1; return blockScoped; })();")).toThrow(/let/);
    expect(() => shortenNames("(function () { return (longName) => longName; })();")).toThrow(/ArrowFunction/);
  });

  it("leaves no long name in a function of an Espruino bundle", async () => {
    const code = readFileSync(await buildEspruinoBundle("test/conformance/core-entry.ts"), "utf8");
    const headers = [...code.matchAll(/function\s*([\w$]*)\s*\(([^)]*)\)/g)];
    expect(headers.length).toBeGreaterThan(100);
    const long = headers.flatMap((m) => m[2].split(",").filter((p) => p.trim().length > 4));
    expect(long).toEqual([]);
  });
});
