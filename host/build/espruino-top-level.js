// The flashed Espruino image without its iife: the bundle's body runs at the
// top level, so its module-level names are globals. Espruino links every
// function to the scope it was made in (a hidden `\xFFsco` property, one
// 13-byte variable each); a function made at the top level has none. Measured
// on the 8,191-variable 32-bit build with the SSD1306 image: 6,038 variables
// in use after the first boot with the iife, 5,282 without (README, Memory).
//
// Safe because the names are the short names of host/build/short-names.js,
// which never gives one of Espruino's own globals (ESPRUINO_GLOBALS), and
// this step refuses a top-level name that is one.
import * as acorn from "acorn";

/** Espruino's lower-case globals a short name could meet (its own code and a board's boot code call them by name). */
export const ESPRUINO_GLOBALS = new Set(
  ("g atob btoa dump echo edit eval load save print reset trace peek8 poke8 peek16 poke16 peek32 poke32 require global process " +
    "console onInit setTimeout setInterval clearTimeout clearInterval changeInterval setWatch clearWatch getTime setTime " +
    "digitalRead digitalWrite digitalPulse analogRead analogWrite pinMode getPinMode shiftOut setSleepIndicator " +
    "setBusyIndicator setDeepSleep getSerial parseInt parseFloat isNaN isFinite arguments exports module").split(" "),
);

/** `var NAME=function(x){BODY return x}({});` as `var x={};BODY var NAME=x;`; throws on any other shape. */
export function unwrapImage(code) {
  const ast = acorn.parse(code, { ecmaVersion: 5, sourceType: "script" });
  const fail = (why) => {
    throw new Error("top-level image: " + why);
  };
  if (ast.body.length !== 1 || ast.body[0].type !== "VariableDeclaration") fail("not one var statement");
  const decl = ast.body[0].declarations[0];
  const call = decl.init;
  if (!call || call.type !== "CallExpression" || call.callee.type !== "FunctionExpression" || call.callee.params.length !== 1) fail("not an iife");
  const param = call.callee.params[0].name;
  const body = call.callee.body.body;
  const last = body[body.length - 1];
  if (!last || last.type !== "ReturnStatement" || !last.argument || last.argument.name !== param) fail(`the iife does not end in return ${param}`);
  for (const s of body) {
    const names =
      s.type === "FunctionDeclaration" ? [s.id.name] : s.type === "VariableDeclaration" ? s.declarations.map((d) => d.id.name) : [];
    for (const n of names) if (ESPRUINO_GLOBALS.has(n)) fail(`the top-level name ${n} is one of Espruino's globals`);
  }
  let out = `var ${param}={};`;
  let at = body[0].start;
  for (const s of body) {
    const inner = classBody(s);
    if (inner === undefined) continue;
    out += code.slice(at, s.start) + inner.map((x) => code.slice(x.start, x.end)).join("");
    at = s.end;
  }
  return out + code.slice(at, last.start) + `var ${decl.id.name}=${param};\n`;
}

/**
 * TypeScript's ES5 class, `var X=function(){function X(..){..} X.prototype.m=..; return X}();`:
 * its statements but the return, to stand at the top level (each method then has no scope
 * link either; about 180 variables for the image's 19 classes and 125 methods). Only when
 * the iife declares nothing but X, so nothing else becomes a global; else undefined.
 */
function classBody(s) {
  if (s.type !== "VariableDeclaration" || s.declarations.length !== 1) return undefined;
  const d = s.declarations[0];
  const c = d.init;
  if (!c || c.type !== "CallExpression" || c.arguments.length !== 0 || c.callee.type !== "FunctionExpression" || c.callee.params.length !== 0) return undefined;
  const b = c.callee.body.body;
  const name = d.id.name;
  if (b.length < 2 || b[0].type !== "FunctionDeclaration" || b[0].id.name !== name) return undefined;
  const ret = b[b.length - 1];
  if (ret.type !== "ReturnStatement" || !ret.argument || ret.argument.type !== "Identifier" || ret.argument.name !== name) return undefined;
  const rest = b.slice(1, -1);
  if (!rest.every((x) => x.type === "ExpressionStatement")) return undefined;
  return b.slice(0, -1);
}

/** rollup output plugin, after short names. */
export function topLevelPlugin() {
  return {
    name: "pindai-top-level",
    renderChunk(code) {
      return { code: unwrapImage(code), map: null };
    },
  };
}
