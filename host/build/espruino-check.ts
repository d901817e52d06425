// Build-time check of an Espruino image: parse the bundle and refuse every
// construct or global that Espruino 2v29 lacks (../shared/RUNTIMES.md),
// naming it and its line, so a bundle never fails on the device instead.
import * as acorn from "acorn";
import * as walk from "acorn-walk";

export interface Finding {
  line: number;
  what: string;
}

const MISSING_GLOBALS = [
  "BigInt", "Map", "Set", "WeakMap", "WeakSet", "Symbol", "Proxy", "Reflect",
  "TextDecoder", "TextEncoder", "performance", "setImmediate", "module", "exports",
  "self", "window", "globalThis", "queueMicrotask", "structuredClone",
];

const MISSING_MEMBERS: Record<string, string[]> = {
  Math: ["imul", "clz32", "fround", "trunc", "sign", "log2", "cbrt", "hypot", "expm1", "log1p"],
  Array: ["from", "of"],
  Number: ["isInteger", "isSafeInteger"],
  Object: ["freeze", "isFrozen", "getOwnPropertySymbols", "fromEntries"],
  String: ["fromCodePoint", "raw"],
  Uint8Array: ["from", "of"],
  Float64Array: ["from", "of"],
  Int32Array: ["from", "of"],
};

export function checkEspruino(source: string): Finding[] {
  const found: Finding[] = [];
  let ast: acorn.Node;
  try {
    ast = acorn.parse(source, { ecmaVersion: "latest", locations: true, sourceType: "script" });
  } catch (e) {
    return [{ line: 0, what: "does not parse: " + (e as Error).message }];
  }
  const add = (node: acorn.Node, what: string) => found.push({ line: node.loc?.start.line ?? 0, what });

  // Names declared in the bundle itself (a local `Map` is not the global one).
  const declared = new Set<string>();
  walk.full(ast, (node) => {
    const n = node as acorn.Node & Record<string, any>;
    if (n.type === "VariableDeclarator" && n.id.type === "Identifier") declared.add(n.id.name);
    if ((n.type === "FunctionDeclaration" || n.type === "ClassDeclaration") && n.id) declared.add(n.id.name);
    if (n.type === "FunctionDeclaration" || n.type === "FunctionExpression" || n.type === "ArrowFunctionExpression") {
      for (const p of n.params) if (p.type === "Identifier") declared.add(p.name); // e.g. the iife's `exports`
    }
  });

  walk.fullAncestor(ast, (node, _state, ancestors) => {
    const n = node as acorn.Node & Record<string, any>;
    const parent = ancestors[ancestors.length - 2] as (acorn.Node & Record<string, any>) | undefined;
    switch (n.type) {
      default:
        return;
      case "SpreadElement":
        return add(n, "spread (...)");
      case "RestElement":
        return add(n, "rest parameter/element (...)");
      case "ObjectPattern":
      case "ArrayPattern":
        return add(n, "destructuring");
      case "AssignmentPattern":
        return add(n, "default parameter value");
      case "AwaitExpression":
        return add(n, "await");
      case "ChainExpression":
        return add(n, "optional chaining (?.)");
      case "TaggedTemplateExpression":
        return add(n, "tagged template");
      case "LabeledStatement":
        return add(n, "labelled statement");
      case "YieldExpression":
        return add(n, "yield (generator)");
      case "ImportExpression":
      case "ImportDeclaration":
      case "ExportNamedDeclaration":
      case "ExportDefaultDeclaration":
        return add(n, "module syntax");
      case "BinaryExpression":
      case "AssignmentExpression":
        if (n.operator === "**" || n.operator === "**=") add(n, "exponent operator (**)");
        return;
      case "Literal":
        if (typeof n.bigint === "string") add(n, "BigInt literal");
        return;
      case "Property":
      case "MethodDefinition":
      case "PropertyDefinition":
        if (n.computed) add(n, "computed key {[k]: v}");
        return;
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        if (n.async) add(n, "async function");
        if (n.generator) add(n, "generator function");
        return;
      case "MemberExpression":
        if (n.object.type === "Identifier" && !n.computed && !declared.has(n.object.name)) {
          const members = MISSING_MEMBERS[n.object.name];
          if (members && members.includes(n.property.name)) add(n, `${n.object.name}.${n.property.name}`);
        }
        return;
      case "Identifier": {
        if (!MISSING_GLOBALS.includes(n.name) || declared.has(n.name)) return;
        // A property name (o.Map, {Map: 1}) is not a use of the global.
        if (parent?.type === "MemberExpression" && parent.property === n && !parent.computed) return;
        if (parent?.type === "Property" && parent.key === n && !parent.computed) return;
        if (parent?.type === "MethodDefinition" || parent?.type === "PropertyDefinition") return;
        return add(n, `global ${n.name}`);
      }
    }
  });
  found.push(...useBeforeDeclaration(ast));
  return found.sort((a, b) => a.line - b.line);
}

/**
 * Espruino does not hoist a function declaration inside a function body: a
 * top-level statement of the image's wrapper that calls a function declared
 * further down fails there ("X is not defined") while V8 runs it.
 */
function useBeforeDeclaration(ast: acorn.Node): Finding[] {
  const out: Finding[] = [];
  const program = ast as acorn.Node & { body: Array<acorn.Node & Record<string, any>> };
  // The wrapper: a lone `var name = (function () { ... })()` or a bare IIFE.
  let body: Array<acorn.Node & Record<string, any>> = program.body;
  for (const st of program.body) {
    const init = st.type === "VariableDeclaration" ? st.declarations[0]?.init : st.type === "ExpressionStatement" ? st.expression : undefined;
    const callee = init?.type === "CallExpression" ? init.callee : undefined;
    if (callee && (callee.type === "FunctionExpression" || callee.type === "ArrowFunctionExpression") && callee.body.type === "BlockStatement") {
      body = callee.body.body;
    }
  }
  const position: Record<string, number> = {};
  body.forEach((st, i) => {
    if (st.type === "FunctionDeclaration" && st.id) position[st.id.name] = i;
  });
  body.forEach((st, i) => {
    if (st.type === "FunctionDeclaration" || st.type === "ClassDeclaration") return;
    // identifiers evaluated now: skip the bodies of nested functions and classes
    walk.recursive(st, null, {
      Function() {},
      Class() {},
      Identifier(node: any) {
        const at = position[node.name];
        if (at !== undefined && at > i) out.push({ line: node.loc?.start.line ?? 0, what: `function ${node.name} used before its declaration (Espruino does not hoist it)` });
      },
    });
  });
  return out;
}
