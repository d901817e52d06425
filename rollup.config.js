// Espruino images: one iife file per entry, down-levelled to ES5 (Espruino
// scopes let/const by function, not by block; with var everywhere nothing
// depends on block scoping). host/build/espruino-check.ts then proves on the
// output that nothing Espruino lacks is used. terser only strips whitespace
// and comments: its transforms broke real Espruino runs (see below).
// In front of the modules, inside the iife: the Espruino natives
// (firmware/targets/espruino/natives.ts) as PINDAI_NATIVES, where
// firmware/core/natives.ts takes them (the Lua image does the same in Lua).
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import terser from "@rollup/plugin-terser";
import { rollup } from "rollup";
import { shortNamesPlugin } from "./host/build/short-names.js";
import { topLevelPlugin } from "./host/build/espruino-top-level.js";
import { moduleMarkPlugin, partsPlugin } from "./host/build/espruino-parts.js";
import { shortPropertiesPlugin } from "./host/build/espruino-properties.js";

// Per-file TypeScript to ES5 (type checking is tsc's job, run by the
// tests): one whole-program check per bundle would fail on unrelated files.
function typescriptTranspile() {
  return {
    name: "pindai-typescript",
    resolveId(source, importer) {
      if (!importer || !source.startsWith(".")) return null;
      const base = resolve(dirname(importer), source);
      for (const f of [base + ".ts", base + "/index.ts", base]) if (existsSync(f) && !f.endsWith("/")) return f;
      return null;
    },
    transform(code, id) {
      if (!id.endsWith(".ts")) return null;
      const out = ts.transpileModule(code, {
        fileName: id,
        compilerOptions: {
          target: ts.ScriptTarget.ES5,
          module: ts.ModuleKind.ESNext,
          useDefineForClassFields: false,
          importHelpers: false,
          sourceMap: false,
          verbatimModuleSyntax: false,
        },
      });
      return { code: out.outputText, map: null };
    },
  };
}

const NATIVES_ENTRY = fileURLToPath(new URL("./firmware/targets/espruino/natives.ts", import.meta.url));
let nativesCode;

/** `var PINDAI_NATIVES = (function () { ... })();`: the natives file bundled alone, made once a process. */
async function espruinoNatives() {
  if (nativesCode === undefined) {
    const b = await rollup({ input: NATIVES_ENTRY, plugins: [typescriptTranspile()] });
    const out = await b.generate({ format: "iife", name: "PINDAI_NATIVES", strict: false, exports: "default" });
    await b.close();
    // A native kernel put in front of the image (host/build/espruino-kernel.ts) wins over these.
    nativesCode =
      out.output[0].code +
      "\nif (typeof PINDAI_KERNEL_NATIVES !== \"undefined\") for (var kernelNative in PINDAI_KERNEL_NATIVES) PINDAI_NATIVES[kernelNative] = PINDAI_KERNEL_NATIVES[kernelNative];\n";
  }
  return nativesCode;
}

/**
 * topLevel: the bundle's body at the top level, no iife (host/build/espruino-top-level.js; the flashed image).
 * parts: with topLevel, what a scan does not need in Storage files of its own (host/build/espruino-parts.js),
 * and the firmware's own long property names shortened (host/build/espruino-properties.js).
 */
export function espruinoConfig({ input, file, name = "pindai", minify = true, banner = "", natives = true, topLevel = false, parts = false }) {
  return {
    input,
    output: {
      file,
      format: "iife",
      name,
      banner,
      intro: natives ? espruinoNatives : "",
      strict: false,
      plugins: minify
        ? [
            terser({
              ecma: 5,
              // Whitespace and comments only. Measured on Espruino 2v29 (-O2 Linux
              // build) with the conformance bundle: terser's inlining turned a helper
              // into an IIFE whose locals clobbered the caller's names ("Expecting
              // function, got Number"), its other compress passes broke the key set
              // check (NO_KEYSET where the plain bundle said OK), and its mangler's
              // short names collide the same way. RUNTIMES.md saw collapse_vars
              // break jsQR. test/images.test.ts runs the image on a real Espruino.
              compress: false,
              mangle: false,
              format: { ascii_only: true },
            }),
            // Instead of the mangler: one name dictionary for the whole file.
            shortNamesPlugin(),
            ...(topLevel && parts ? [shortPropertiesPlugin(resolve(input))] : []),
            ...(topLevel ? [topLevelPlugin()] : []),
            ...(topLevel && parts ? [partsPlugin()] : []),
          ]
        : [],
    },
    plugins: [typescriptTranspile(), ...(minify && topLevel && parts ? [moduleMarkPlugin()] : [])],
    onwarn(warning, warn) {
      if (warning.code === "CIRCULAR_DEPENDENCY") return;
      warn(warning);
    },
  };
}

export default [
  espruinoConfig({
    input: process.env.PINDAI_ENTRY ?? "firmware/targets/espruino/main.ts",
    file: process.env.PINDAI_OUT ?? "dist/espruino/pindai.js",
  }),
];
