// Declared parameters as reads of `arguments`, for the flashed Espruino image.
// Espruino keeps each declared parameter's name in the function itself, one
// variable each for as long as the function lives, even when the function's
// code stays in flash: 636 of the 4,265 variables in use after boot on the
// 8,191-variable build were parameter names. Read from `arguments` instead,
// a parameter is a local of the call (`var a=arguments[0]`) whose name sits
// in the code, in flash, and costs RAM only while the call runs. Measured on
// Espruino 2v29 (32-bit pool build), four functions of nine parameters
// evaluated from Storage: 26 variables declared, 17 read from `arguments`.
//
// A call then makes its `arguments` array (a variable per argument, freed
// with the call), so the hot arithmetic of a verification keeps its
// parameters: the caller names those statements. Espruino saves that array
// in the call's scope as a variable named `arguments`, and a function made
// inside the call finds it there before its own: so a function inside one
// that reads `arguments` keeps its parameters, and so does one with any
// function inside it that reads `arguments` (Espruino's `arguments` is also
// never shorter than the declared list; without one it is exactly what the
// caller passed).
import * as acorn from "acorn";
import { applyEdits, children, isFunction } from "./short-names.js";

/** Does `node` read `arguments`: in its own body only, or (deep) in any function inside it too? */
function readsArguments(node, deep) {
  let found = false;
  const visit = (n) => {
    if (found) return;
    if (n.type === "Identifier" && n.name === "arguments") found = true;
    for (const [, c] of children(n)) if (deep || !isFunction(c)) visit(c);
  };
  visit(node.body);
  return found;
}

/**
 * `code` with every function's parameters read from `arguments`, except in
 * the top-level statements for which `keep(statement)` is true (`ast`: the
 * code's, when the caller has parsed it). Returns the code and how many
 * parameters moved.
 */
export function paramsAsArguments(code, keep = () => false, ast = acorn.parse(code, { ecmaVersion: 5, sourceType: "script" })) {
  const edits = [];
  let moved = 0;
  // under: a function around n reads `arguments` (then n's own would not be its own).
  const visit = (n, under) => {
    let reads = under;
    if (isFunction(n)) {
      if (n.params.length > 0 && !under && !readsArguments(n, true)) {
        edits.push({ start: n.params[0].start, end: n.params[n.params.length - 1].end, text: "" });
        const locals = n.params.map((p, i) => `${p.name}=arguments[${i}]`).join(",");
        edits.push({ start: n.body.start + 1, end: n.body.start + 1, text: `var ${locals};` });
        moved += n.params.length;
        reads = true;
      } else if (readsArguments(n, false)) reads = true;
    }
    for (const [, c] of children(n)) visit(c, reads);
  };
  for (const s of ast.body) if (!keep(s)) visit(s, false);
  return { code: applyEdits(code, edits), moved };
}
