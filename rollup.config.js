// Espruino images: one iife file per entry, ES2017 syntax (Espruino 2v29 has
// classes, let/const, arrows, `??` but no destructuring or spread: the
// firmware does not use them, and host/build/espruino-check.ts proves it on
// the output). terser's collapse_vars is off: it broke jsQR on Espruino
// (../shared/RUNTIMES.md).
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import ts from "typescript";
import terser from "@rollup/plugin-terser";

// Per-file TypeScript to ES2017 (type checking is tsc's job, run by the
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
          target: ts.ScriptTarget.ES2017,
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

export function espruinoConfig({ input, file, name = "pindai", minify = true, banner = "" }) {
  return {
    input,
    output: {
      file,
      format: "iife",
      name,
      banner,
      strict: false,
      plugins: minify
        ? [
            terser({
              ecma: 2017,
              compress: { collapse_vars: false, passes: 2, unsafe: false },
              mangle: true,
              format: { ascii_only: true },
            }),
          ]
        : [],
    },
    plugins: [typescriptTranspile()],
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
