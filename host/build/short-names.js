// Short names for the Espruino image. Espruino keeps every function's
// parameter names and every module-level name as variables in RAM (the code
// itself stays in flash); a name over 4 characters takes a second 13-byte
// variable on a Puck.js-class board, so long names alone cost the flashed
// image about a thousand of its 2,630 variables.
//
// terser's mangler is not used: it gives names per scope, so one short name
// means different things in nested scopes, and Espruino (which does not hoist
// `var`) then reads an outer binding where JavaScript reads the inner one
// (rollup.config.js). Here the renaming is one dictionary for the whole file:
// every occurrence of a name becomes the same new name, and no two names
// share one, so each identifier resolves exactly as before, quirks included.
// Left as they are: names that reach a global (anything not declared in a
// function of the file, `arguments`, the builtins), the file's own top-level
// names (other scripts call them), property names and labels.
import * as acorn from "acorn";
import { ESPRUINO_GLOBALS } from "./espruino-top-level.js";

// JavaScript's reserved words and Espruino's own tokens (its lexer takes `of` as one).
const RESERVED = new Set(
  "do if in of for let new try var int get set async await case else enum eval null this true void with break catch class const false super throw while yield delete export import public return static switch typeof default extends finally package private continue debugger function arguments interface protected implements instanceof undefined NaN Infinity".split(
    " ",
  ),
);

/** a, b, ..., z, a0, a1, ..., zz, a00, ...: lower-case first (Espruino's own globals are E, D1, LED1, A0...). */
function* shortNames() {
  const first = "abcdefghijklmnopqrstuvwxyz";
  const rest = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (const c of first) yield c;
  for (const c of first) for (const d of rest) yield c + d;
  for (const c of first) for (const d of rest) for (const e of rest) yield c + d + e;
  for (const c of first) for (const d of rest) for (const e of rest) for (const f of rest) yield c + d + e + f;
}

/** A function declaration or expression (the bundle is ES5: no arrows). */
export const isFunction = (n) => n.type === "FunctionDeclaration" || n.type === "FunctionExpression";

/** Each node's children as [key, child], in source order enough for a walk (espruino-parts.js walks with it too). */
export function children(node) {
  const out = [];
  for (const key of Object.keys(node)) {
    if (key === "type" || key === "start" || key === "end" || key === "loc") continue;
    const v = node[key];
    if (Array.isArray(v)) for (const x of v) x && typeof x.type === "string" && out.push([key, x]);
    else if (v && typeof v.type === "string") out.push([key, v]);
  }
  return out;
}

/** The file with every function-scoped name replaced by a short one; throws on what it does not know. */
export function shortenNames(code) {
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  const program = { names: new Set(), parent: undefined };
  /** @type {Array<{node: any, scope: any}>} identifiers in reference position */
  const refs = [];
  /** @type {Array<{node: any}>} */
  const bindings = [];
  const functionScopeOf = (s) => {
    while (s.catchScope) s = s.parent;
    return s;
  };
  const declare = (scope, id) => {
    if (id.type !== "Identifier") throw new Error(`short names: a ${id.type} binding (the image is ES5)`);
    scope.names.add(id.name);
    bindings.push({ node: id, scope });
  };
  const visit = (node, scope, key, parent) => {
    switch (node.type) {
      case "FunctionDeclaration":
      case "FunctionExpression": {
        if (node.type === "FunctionDeclaration") declare(functionScopeOf(scope), node.id);
        const fs = { names: new Set(), parent: scope };
        if (node.type === "FunctionExpression" && node.id) declare(fs, node.id);
        for (const p of node.params) declare(fs, p);
        visit(node.body, fs, "body", node);
        return;
      }
      case "ArrowFunctionExpression":
      case "ClassDeclaration":
      case "ClassExpression":
        throw new Error(`short names: ${node.type} in the image (it is ES5)`);
      case "VariableDeclaration":
        if (node.kind !== "var") throw new Error(`short names: ${node.kind} in the image (it is ES5)`);
        for (const d of node.declarations) {
          declare(functionScopeOf(scope), d.id);
          if (d.init) visit(d.init, scope, "init", d);
        }
        return;
      case "CatchClause": {
        const cs = { names: new Set(), parent: scope, catchScope: true };
        if (node.param) declare(cs, node.param);
        visit(node.body, cs, "body", node);
        return;
      }
      case "Identifier":
        if (parent && parent.type === "MemberExpression" && key === "property" && !parent.computed) return;
        if (parent && parent.type === "Property" && key === "key" && !parent.computed) {
          if (parent.shorthand) throw new Error("short names: a shorthand property (the image is ES5)");
          return;
        }
        refs.push({ node, scope });
        return;
      case "LabeledStatement":
      case "BreakStatement":
      case "ContinueStatement":
        if (node.body) visit(node.body, scope, "body", node);
        return;
    }
    for (const [k, child] of children(node)) visit(child, scope, k, node);
  };
  for (const s of ast.body) visit(s, program, "body", ast);

  // Names that must stay: free references (globals, arguments) and the top level's own.
  const keep = new Set(program.names);
  for (const { node, scope } of refs) {
    let s = scope;
    while (s && !s.names.has(node.name)) s = s.parent;
    if (!s || s === program) keep.add(node.name);
  }
  const declared = new Set(bindings.filter((b) => b.scope !== program).map((b) => b.node.name));
  // One-letter names are as short as they get: they stay, and no new name equals one.
  const taken = (n) => RESERVED.has(n) || ESPRUINO_GLOBALS.has(n) || keep.has(n) || (n.length === 1 && declared.has(n));
  const renamed = new Map();
  const gen = shortNames();
  for (const name of [...declared].sort()) {
    if (keep.has(name) || (name.length === 1 && !ESPRUINO_GLOBALS.has(name))) continue; // `g`: a top-level name may become a global
    let next;
    do next = gen.next().value;
    while (taken(next));
    renamed.set(name, next);
  }
  const edits = [];
  for (const { node } of [...refs, ...bindings]) {
    const to = renamed.get(node.name);
    if (to !== undefined) edits.push({ start: node.start, end: node.end, text: to });
  }
  return applyEdits(code, edits);
}

/**
 * `code` from `start` to `end` with each edit's range replaced by its text
 * (edits in any order, none overlapping; espruino-parts.js and
 * espruino-properties.js rename with it too).
 */
export function applyEdits(code, edits, start = 0, end = code.length) {
  // At one place, insertions first, in the order given (an outer call's before an inner one's).
  const sorted = [...edits].sort((x, y) => x.start - y.start || Number(x.end > x.start) - Number(y.end > y.start));
  const parts = [];
  let at = start;
  for (const e of sorted) {
    parts.push(code.slice(at, e.start), e.text);
    at = e.end;
  }
  parts.push(code.slice(at, end));
  return parts.join("");
}

/** rollup output plugin: after terser, before the file is written. */
export function shortNamesPlugin() {
  return {
    name: "pindai-short-names",
    renderChunk(code) {
      return { code: shortenNames(code), map: null };
    },
  };
}
