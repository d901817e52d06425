// No file of firmware/core knows a runtime (README: "firmware/targets/* is the
// only code that knows which runtime it runs on"): what a target runs
// natively comes in through firmware/core/natives.ts alone. This guard reads
// the code of every core file, comments and string contents left out, for
// the names that would mean a probe of Espruino, Lua or Node.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const CORE = new URL("../firmware/core/", import.meta.url);

/** The source with comments removed and string/template contents emptied (quotes kept). */
function codeOnly(src: string): string {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const next = src[i + 1];
    if (c === "/" && next === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 2;
      out += " ";
    } else if (c === '"' || c === "'" || c === "`") {
      out += c + c;
      i++;
      while (i < src.length && src[i] !== c) i += src[i] === "\\" ? 2 : 1;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

// What a runtime probe looks like: Espruino's E, a CommonJS or Lua require,
// Lua's globals table, Node's process and Buffer, any global object.
const PROBES: Array<[string, RegExp]> = [
  ["Espruino's E", /\bE\s*[.[]|\bdeclare\s+(const|let|var)\s+E\b|typeof\s+E\b/],
  ["require(", /\brequire\s*\(/],
  ["Lua's _G", /\b_G\b/],
  ["process", /\bprocess\b/],
  ["Buffer", /\bBuffer\b/],
  ["a global object", /\bglobalThis\b|\b(global|window|self)\s*[.[]/],
];

function probesIn(src: string): string[] {
  const code = codeOnly(src);
  return PROBES.filter(([, re]) => re.test(code)).map(([what]) => what);
}

describe("firmware/core knows no runtime", () => {
  it("the guard sees a probe in code and not in a comment or a string", () => {
    expect(probesIn('const C = typeof E !== "undefined" ? E.convolve : undefined;')).toEqual(["Espruino's E"]);
    expect(probesIn('const lib = ["crypto"][0];\nconst c = require(lib);')).toEqual(["require("]);
    expect(probesIn("local t = _G.x")).toEqual(["Lua's _G"]);
    expect(probesIn("if (process.env.X) Buffer.from(b);")).toEqual(["process", "Buffer"]);
    expect(probesIn("const g = globalThis; window.x = 1;\nconst window = 2;")).toEqual(["a global object"]);
    expect(probesIn('// E.convolve is Espruino\'s; require("crypto") too\n/* process, Buffer, _G */\nconst s = "E.asUTF8 and require(x)";')).toEqual([]);
  });

  const files = readdirSync(CORE).filter((f) => f.endsWith(".ts"));
  it("reads every core file", () => {
    expect(files).toContain("natives.ts");
    expect(files.length).toBeGreaterThan(20);
  });
  for (const f of files) {
    it(`${f}: no runtime probe`, () => {
      expect(probesIn(readFileSync(new URL(f, CORE), "utf8"))).toEqual([]);
    });
  }
});
