// Short property names for the flashed Espruino image. Espruino keeps an
// object's property names in RAM, one variable per name, and a name over 4
// characters takes a second one: on a Pico-class board the image's own long
// property names (scanEngine, publicKey, showVerdict...) held about 400
// variables after boot. Here each of them gets a 2-character name.
//
// Which names are the firmware's own is read from TypeScript's checker over
// the image's entry, not guessed from the output: a name is renamed only if
// every place the firmware writes it resolves to a declaration in the
// firmware's own source (a class member, an interface or type member, an
// object literal whose type is the firmware's), and nothing else touches it:
// - no access on a value typed any (Espruino's APIs are `any` here: E.setConsole,
//   Serial1.setup, Graphics) and no name from a .d.ts (the JavaScript library);
// - no object literal or value of the firmware's type that goes where any is
//   expected (an options object handed to Espruino keeps its names), and no
//   value typed any taken as a firmware type (an interface that describes an
//   Espruino object keeps its names), both followed into nested types;
// - no string with that text anywhere (obj["name"], `"name" in obj`, a key
//   made at run time), in the firmware or in the bundle;
// - no name of the native kernel's JavaScript (firmware/targets/espruino/native/natives.js),
//   which is put in front of the image after this pass and copied into the
//   natives by name.
// The portable firmware has no JSON, no for-in and no Object.keys
// (firmware/PORTABLE.md), so no name is read back as text.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as acorn from "acorn";
import ts from "typescript";
import { applyEdits, children } from "./short-names.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const KERNEL_JS = join(ROOT, "firmware/targets/espruino/native/natives.js");
/** Names Espruino or JavaScript reads on any object by name. */
const ALWAYS_KEPT = new Set(["constructor", "prototype", "__proto__", "toString", "valueOf", "toJSON", "length", "then"]);

/** Words of a JavaScript file (identifiers and string contents), for the names it may use. */
function wordsOf(code) {
  return new Set(code.match(/[A-Za-z_$][A-Za-z0-9_$]*/g) ?? []);
}

/** A source file of the program's own (not a .d.ts of a library, not a package). */
function isFirmwareFile(f) {
  return !f.isDeclarationFile && !f.fileName.includes("/node_modules/");
}

/**
 * The property names (5 characters or more) the firmware reached from `entry`
 * owns alone, by the rules above; `kept` says why each other name stays.
 */
export function ownPropertyNames(entry) {
  const cfg = ts.readConfigFile(join(ROOT, "tsconfig.json"), ts.sys.readFile).config;
  const options = { ...ts.convertCompilerOptionsFromJson(cfg.compilerOptions, ROOT).options, noEmit: true };
  const program = ts.createProgram([entry], options);
  const checker = program.getTypeChecker();
  const own = new Set();
  const kept = new Map();
  const keep = (name, why) => kept.has(name) || kept.set(name, why);
  const isOurs = (decl) => isFirmwareFile(decl.getSourceFile());
  const ourSymbol = (sym) => sym !== undefined && (sym.declarations ?? []).length > 0 && sym.declarations.every(isOurs);
  const isAny = (t) => (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0;
  /** Every property name of `t` and of the object types within it: they meet code that reads them by name. */
  const keepTypeNames = (t, why, seen = new Set()) => {
    if (t === undefined || seen.has(t) || seen.size > 400) return;
    seen.add(t);
    if (t.isUnionOrIntersection()) for (const u of t.types) keepTypeNames(u, why, seen);
    if ((t.flags & ts.TypeFlags.Object) === 0) return;
    for (const p of checker.getPropertiesOfType(t)) {
      keep(p.getName(), why);
      const decl = p.valueDeclaration ?? (p.declarations ?? [])[0];
      if (decl !== undefined && isOurs(decl)) keepTypeNames(checker.getTypeOfSymbolAtLocation(p, decl), why, seen);
    }
    if (checker.isArrayType(t) || checker.isTupleType(t)) for (const a of checker.getTypeArguments(t)) keepTypeNames(a, why, seen);
  };
  const nameText = (n) => (n !== undefined && (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isPrivateIdentifier(n)) ? n.text : undefined);
  /** A member of an object literal: the firmware's if the literal's type says so. */
  const literalMember = (member, name) => {
    const ctx = checker.getContextualType(member.parent);
    if (ctx === undefined) return ourSymbol(checker.getSymbolAtLocation(member.name)) ? own.add(name) : keep(name, "literal");
    const types = ctx.isUnion() ? ctx.types : [ctx];
    for (const t of types) {
      if (isAny(t)) return keep(name, "literal for any");
      const p = checker.getPropertyOfType(t, name);
      if (p !== undefined && !ourSymbol(p)) return keep(name, "library member");
      if (p === undefined && (checker.getIndexInfosOfType(t).length > 0 || (t.flags & ts.TypeFlags.Object) === 0)) return keep(name, "record key");
    }
    own.add(name);
  };
  const visit = (node) => {
    if (ts.isPropertyAccessExpression(node)) {
      const name = node.name.text;
      ourSymbol(checker.getSymbolAtLocation(node.name)) ? own.add(name) : keep(name, "access on any or library");
    } else if ((ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node) || ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node)) && ts.isObjectLiteralExpression(node.parent)) {
      const name = nameText(node.name);
      if (name !== undefined) literalMember(node, name);
    } else if (ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node) || ts.isPropertySignature(node) || ts.isMethodSignature(node)) {
      const name = nameText(node.name);
      if (name !== undefined) own.add(name);
    } else if (ts.isParameter(node) && ts.isConstructorDeclaration(node.parent) && ts.getModifiers(node)?.some((m) => m.kind !== ts.SyntaxKind.Decorator)) {
      own.add(nameText(node.name));
    } else if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
      const name = nameText(node.propertyName ?? node.name);
      const t = checker.getTypeAtLocation(node.parent);
      const p = name === undefined || isAny(t) ? undefined : checker.getPropertyOfType(t, name);
      if (name !== undefined) ourSymbol(p) ? own.add(name) : keep(name, "destructured from any or library");
    } else if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      const p = node.parent;
      const isKey = (ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p)) && p.name === node;
      if (!isKey && !ts.isImportDeclaration(p) && !ts.isExportDeclaration(p)) keep(node.text, "a string");
    } else if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      // An argument where any is expected keeps its names: a library function reads them.
      const sig = checker.getResolvedSignature(node);
      const args = node.arguments ?? [];
      for (let i = 0; i < args.length; i++) {
        const param = sig?.parameters[Math.min(i, sig.parameters.length - 1)];
        const pt = param === undefined ? undefined : checker.getTypeOfSymbolAtLocation(param, node);
        const library = param !== undefined && !ourSymbol(param);
        if (sig === undefined || sig.declaration === undefined || pt === undefined || isAny(pt) || library) keepTypeNames(checker.getTypeAtLocation(args[i]), "handed to any or the library");
      }
    }
    // A value typed any taken as a firmware type: that type describes an object made elsewhere.
    if (ts.isExpression(node) && !ts.isPropertyAccessExpression(node.parent ?? node) && isAny(checker.getTypeAtLocation(node))) {
      const ctx = checker.getContextualType(node);
      if (ctx !== undefined && !isAny(ctx)) keepTypeNames(ctx, "made from any");
    }
    if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
      if (isAny(checker.getTypeAtLocation(node.expression))) keepTypeNames(checker.getTypeAtLocation(node), "cast from any");
      else if (isAny(checker.getTypeAtLocation(node))) keepTypeNames(checker.getTypeAtLocation(node.expression), "cast to any");
    }
    ts.forEachChild(node, visit);
  };
  for (const f of program.getSourceFiles()) if (isFirmwareFile(f)) visit(f);
  for (const w of wordsOf(readFileSync(KERNEL_JS, "utf8"))) keep(w, "the kernel's JavaScript");
  for (const n of ALWAYS_KEPT) keep(n, "read by the runtime");
  const names = [...own].filter((n) => n.length > 4 && !kept.has(n)).sort();
  return { names, kept };
}

/** $a, $b, ..., $Z, $a0...: two or three characters, in a space the firmware's names are not in. */
function* propertyNames() {
  const first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (const c of first) yield "$" + c;
  for (const c of first) for (const d of "0123456789" + first) yield "$" + c + d;
}

/** `code` with each of `names` (that it holds only as property names) a short name; the map used. */
export function shortenProperties(code, names) {
  const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
  // A new name is none of the bundle's identifiers, property names and strings (nor a word in one);
  // a name the bundle also holds as a string (code that is not the firmware's: the natives, the
  // part loader) stays. The image is ES5 by now: no shorthand properties (short-names.js refuses them).
  const used = new Set();
  const strings = new Set();
  const sites = [];
  const word = (t) => {
    used.add(t);
    for (const w of wordsOf(t)) used.add(w);
  };
  const walk = (node) => {
    if (node.type === "Identifier") used.add(node.name);
    if (node.type === "Literal" && typeof node.value === "string") {
      strings.add(node.value);
      word(node.value);
    }
    if (node.type === "MemberExpression" && !node.computed && node.property.type === "Identifier") sites.push(node.property);
    if (node.type === "Property" && !node.computed && node.kind === "init") {
      const k = node.key;
      if (k.type === "Identifier") sites.push(k);
      else if (typeof k.value === "string") {
        // A quoted key is a property name, not a string the code reads.
        sites.push(k);
        word(k.value);
        walk(node.value);
        return;
      }
    }
    for (const [, c] of children(node)) walk(c);
  };
  walk(ast);
  const gen = propertyNames();
  const map = new Map();
  for (const n of names) {
    if (strings.has(n)) continue;
    let s = gen.next().value;
    while (used.has(s)) s = gen.next().value;
    map.set(n, s);
  }
  const edits = [];
  for (const k of sites) {
    const to = map.get(k.type === "Identifier" ? k.name : k.value);
    if (to !== undefined) edits.push({ start: k.start, end: k.end, text: to });
  }
  return { code: applyEdits(code, edits), map };
}

/** Rollup output plugin: the image's own long property names shortened (ownPropertyNames of `entry`). */
export function shortPropertiesPlugin(entry) {
  return {
    name: "pindai-espruino-properties",
    renderChunk(code) {
      const { names } = ownPropertyNames(entry);
      return { code: shortenProperties(code, names).code, map: null };
    },
  };
}
