// The flashed Espruino image in parts. Espruino keeps every function's
// parameter names, name and code reference as variables even when its code
// stays in flash, so code a scan never runs (the admin protocol, the table
// maker, the device's signing) still costs RAM. Here the top-level image
// (host/build/espruino-top-level.js) is split after its short names: the
// functions and class methods of the modules named in PARTS (or single
// functions it names) move into a part, evaluated from its own Storage file
// only when called. What the rest of the image only calls, it calls through
// the loader ($c, $m: callSiteEdits); what it takes as a value keeps a small
// stub in place of the function, which loads the part and calls the real one
// (under the name with a `$` after it). A part marked `drop` is deleted again
// once it has not been called for a second, so its functions cost variables
// only while they run. The
// firmware is unchanged: Node and Lua import the modules as written, and the
// split is only this build step.
//
// The image file stays one script that runs as it is (the tests, an IDE
// upload): each part on a line of its own, `$Q.<name>=function(){...};`,
// then the image. `pindai flash` (host/src/flash-espruino.ts) stores each
// part line's body as the Storage file "pindai.<name>" and the rest as
// pindai.img, so a part's code stays in flash and is read from there.
import { relative, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as acorn from "acorn";
import { applyEdits, children, isFunction } from "./short-names.js";
import { paramsAsArguments } from "./espruino-arguments.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The parts: their modules (or single functions, "file#name"), functions of those modules that
 * stay in the image (`keep`), the part one holds loaded while a call of its runs (`holds`), and
 * whether the part is dropped once idle.
 */
export const PARTS = {
  // The agency's admin commands (the admin line itself stays: it only reads lines).
  adm: { modules: ["firmware/app/admin.ts", "firmware/app/layout-cbor.ts"], drop: true },
  // Making and checking the Ed25519 tables in flash (its steps run on a timer: kept once loaded).
  tbl: { modules: ["firmware/app/table-maker.ts", "firmware/app/key-tables.ts", "firmware/core/ed25519-table-make.ts"], drop: false },
  // A scanned code's decoding (Base45, the presentation, its claims, the backlog's triage): loaded
  // per scan and dropped once idle, so an admin command (a KEYSET on a Pico) has the room.
  qr: { modules: ["firmware/core/base45.ts", "firmware/core/presentation.ts", "firmware/core/claims.ts", "firmware/core/triage.ts"], drop: true },
  // The device key's signatures (admin answers, the audit log export) and making the key at first boot.
  // It holds the curve loaded while it runs (`holds`): a signature makes several calls into the
  // curve, and on a board short of variables the curve was dropped and parsed again after each.
  sig: { modules: ["firmware/core/ed25519-sign.ts"], drop: true, holds: "curve" },
  // The curve: field arithmetic, points, verification and the table format, with their
  // constants and scratch, loaded for a verification or a signature and dropped once idle.
  curve: { modules: ["firmware/core/field25519.ts", "firmware/core/ed25519-curve.ts", "firmware/core/ed25519.ts", "firmware/core/ed25519-table.ts"], drop: true },
  // The screens: their words, loaded for a screen and dropped once idle (what they return is
  // data: no function of theirs is kept past the call).
  scr: { modules: ["firmware/app/screens.ts", "firmware/app/i18n.ts", "firmware/app/display-text.ts"], drop: true },
  // The layout and its drawing: a part of its own, so a screen is drawn without its words' code
  // loaded beside the frame (on a board short of variables a part goes when its call returns).
  lay: { modules: ["firmware/app/layout.ts"], drop: true },
  // SHA-512 and SHA-256 in JavaScript: Espruino's own (the crypto module) where the board has it.
  // The hashes' entry points stay in the image (`keep`): they call the board's own hash, so a
  // board with one never loads this part (it did for every hash, to call the native).
  sha: {
    modules: ["firmware/core/sha512.ts", "firmware/core/sha256.ts", "firmware/core/md-hash.ts"],
    keep: ["firmware/core/sha512.ts#sha512", "firmware/core/sha256.ts#sha256", "firmware/core/sha256.ts#kidOf"],
    drop: true,
  },
  // What the device runs only at boot (setting up its lines, display and storage, loading its
  // stores): loaded while it boots, dropped after. Measured by tracing every call of the flashed
  // image through provisioning, two scans and a LOG.
  boot: {
    functions: [
      ...["uart", "kernelRandom", "indicator", "lockConsole", "portObject", "sweepStorage", "tablesFit"].map((f) => "firmware/targets/espruino/main.ts#" + f),
      ...["parseRoots", "buildOptions", "cardReader", "refuse"].map((f) => "firmware/targets/device.ts#" + f),
      "firmware/app/admin-line.ts#serveAdminLine",
      "firmware/app/scan-input.ts#scanInput",
      "firmware/hal/scan-engine.ts#lineScanner",
      "firmware/targets/espruino/display-canvas.ts#graphicsCanvas",
      "firmware/targets/espruino/display-ssd1306.ts#display",
      "firmware/app/verifier.ts#VerifierApp.defaultSettings",
      "firmware/app/verifier.ts#VerifierApp.applySettings",
      "firmware/app/checked-random.ts#CheckedRandom.keyWith",
      "firmware/app/record-ring.ts#RecordRing.loadRing",
      "firmware/app/record-ring.ts#RecordRing.entries",
      "firmware/app/audit-log.ts#AuditLog.loadLog",
      "firmware/app/replay-store.ts#ReplayStore.loadReplays",
    ],
    // The device's file names (the storage sweep at boot, UNLOCK): their lists go with them.
    modules: ["firmware/app/device-files.ts"],
    drop: true,
  },
  // What it runs seldom: a wipe, a tamper event, a storage fault, a flood of codes, the settings, a card.
  cold: {
    functions: [
      ...["deviceWarnings", "storageFault", "showStorageFault", "cardDetected", "cardResult", "configure", "tamper", "clearLog", "wipe"].map((m) => "firmware/app/verifier.ts#VerifierApp." + m),
      "firmware/app/record-ring.ts#RecordRing.clear",
      "firmware/app/audit-log.ts#AuditLog.clear",
      "firmware/app/audit-log.ts#AuditLog.entries",
      "firmware/app/replay-store.ts#ReplayStore.erase",
      ...["size", "refuted", "floodStarts"].map((m) => "firmware/app/scan-queue.ts#ScanQueue." + m),
      "firmware/app/keyset-store.ts#KeysetStore.wipe",
      "firmware/app/flash-record.ts#FlashRecord.erase",
      "firmware/targets/espruino/main.ts#keptByUnlock",
    ],
    drop: true,
  },
  // The stores in flash (the audit log, the replay store and the records they are written in):
  // loaded for a record, a look-up or an admin command, dropped once idle.
  sto: { modules: ["firmware/app/record-ring.ts", "firmware/app/audit-log.ts", "firmware/app/replay-store.ts", "firmware/app/flash-record.ts"], drop: true },
  // The key set's store and its parsing: a part of their own, because they verify the set's
  // signature (at boot and at KEYSET), so the curve is loaded beside them and not beside all the stores.
  kss: {
    modules: ["firmware/app/keyset-store.ts"],
    functions: ["bad", "bytesAt", "parseKey", "parsePolicy", "parseKeysetPayload", "loadKeyset", "installDecision"].map((f) => "firmware/core/keyset.ts#" + f),
    drop: true,
  },
  // The card reader: loaded only on a board whose build config names one (its poller runs on timers: kept).
  card: {
    modules: ["firmware/app/card-poller.ts", "firmware/reader/pn532/pn532.ts", "firmware/reader/pn532/frame.ts", "firmware/reader/card-session.ts", "firmware/reader/apdu.ts", "firmware/core/card.ts"],
    drop: false,
  },
};

/** Free variables below which a droppable part goes as soon as its last call returns (a Pico's 5,100 after boot). */
export const LOW_FREE = 1500;

const NONE = new Set();

const MARK = "__pindaiModule";

/** rollup plugin (after the TypeScript one): each module starts with a marker call naming it, which the split reads and removes. */
export function moduleMarkPlugin(parts = PARTS) {
  return {
    name: "pindai-module-marks",
    transform(code, id) {
      if (!id.endsWith(".ts")) return null;
      const file = relative(ROOT, id);
      return { code: `${MARK}(${JSON.stringify(file)});\n` + markFunctions(code, file, parts), map: null };
    },
  };
}

const FN_MARK = "__pindaiPart";

/**
 * The module's JavaScript (TypeScript's ES5 output, original names) with a
 * marker call `__pindaiPart("<part>")` first in each function a part's
 * `functions` names ("file#name" or "file#Class.method"); the split moves the
 * function to that part and removes the marker; what the functions it makes
 * (callbacks that may run after the part's drop) call of the part goes through
 * the loader or a stub (splitImage). A function a part's `keep` names, in a
 * module of that part, is marked for the image: `__pindaiPart("")`. Throws on
 * a name not found.
 */
export function markFunctions(code, file, parts = PARTS) {
  const wanted = new Map();
  for (const [name, p] of Object.entries(parts)) {
    for (const f of p.functions ?? []) if (f.startsWith(file + "#")) wanted.set(f.slice(file.length + 1), name);
    for (const f of p.keep ?? []) if (f.startsWith(file + "#")) wanted.set(f.slice(file.length + 1), "");
  }
  if (wanted.size === 0) return code;
  const ast = acorn.parse(code, { ecmaVersion: 2020, sourceType: "module" });
  const edits = [];
  walk(ast, (n) => {
    let name;
    let fn;
    if (n.type === "FunctionDeclaration" && n.id) [name, fn] = [n.id.name, n];
    const l = n.type === "AssignmentExpression" ? n.left : undefined;
    if (l && l.type === "MemberExpression" && !l.computed && l.object.type === "MemberExpression" && l.object.property.name === "prototype" && l.object.object.type === "Identifier" && n.right.type === "FunctionExpression") {
      [name, fn] = [l.object.object.name + "." + l.property.name, n.right];
    }
    if (name === undefined || !wanted.has(name)) return;
    edits.push({ start: fn.body.start + 1, end: fn.body.start + 1, text: `${FN_MARK}(${JSON.stringify(wanted.get(name))});` });
    wanted.delete(name);
  });
  if (wanted.size > 0) throw new Error(`espruino parts: no function ${[...wanted.keys()].map((k) => file + "#" + k).join(", ")}`);
  return applyEdits(code, edits);
}

/** The marker statement (markFunctions) in a function's body, if any. */
function functionMark(fn) {
  return fn.body.body.find((s) => s.type === "ExpressionStatement" && s.expression.type === "CallExpression" && s.expression.callee.type === "Identifier" && s.expression.callee.name === FN_MARK);
}

/** The module a marker statement names (moduleMarkPlugin's call); undefined for any other statement. */
function moduleMark(s) {
  const e = s.type === "ExpressionStatement" ? s.expression : undefined;
  return e && e.type === "CallExpression" && e.callee.type === "Identifier" && e.callee.name === MARK ? e.arguments[0].value : undefined;
}

/** Every node under `node`, each with its parent and the key it is under there. */
function walk(node, visit, parent, key) {
  visit(node, parent, key);
  for (const [k, child] of children(node)) walk(child, visit, node, k);
}

/** The names a function binds: its parameters, its `var`s and inner function declarations (hoisted), its own name. */
function boundIn(fn) {
  const names = new Set(fn.params.map((p) => p.name));
  if (fn.type === "FunctionExpression" && fn.id) names.add(fn.id.name);
  const visit = (n) => {
    if (n.type === "VariableDeclarator") names.add(n.id.name);
    if (n.type === "FunctionDeclaration") names.add(n.id.name);
    if (isFunction(n)) return;
    for (const [, c] of children(n)) visit(c);
  };
  visit(fn.body);
  return names;
}

/** Whether an Identifier under `par` (at `key`) names a variable: not a property after `.`, not an object literal's key. */
function isReference(par, key) {
  return !(par && par.type === "MemberExpression" && key === "property" && !par.computed) && !(par && par.type === "Property" && key === "key");
}

/**
 * Like walk, and each variable a function or catch around it (inside `node`)
 * binds is skipped: what is left reads the top level. (A property of the same
 * name, `o.a` beside a local `a`, is not skipped.)
 */
function walkFree(node, visit) {
  const scopes = [];
  const bound = (name) => scopes.some((s) => s.has(name));
  const go = (n, parent, key) => {
    if (n.type === "Identifier" && isReference(parent, key) && bound(n.name)) return;
    visit(n, parent, key);
    const scope = isFunction(n) ? boundIn(n) : n.type === "CatchClause" && n.param ? new Set([n.param.name]) : undefined;
    if (scope) scopes.push(scope);
    for (const [k, c] of children(n)) go(c, n, k);
    if (scope) scopes.pop();
  };
  go(node);
}

/** `X.prototype.m=function(){}` as [X, m]; else undefined. */
function protoMethod(s) {
  if (s.type !== "ExpressionStatement" || s.expression.type !== "AssignmentExpression" || s.expression.operator !== "=") return undefined;
  const l = s.expression.left;
  if (s.expression.right.type !== "FunctionExpression" || l.type !== "MemberExpression" || l.computed || l.property.type !== "Identifier") return undefined;
  const o = l.object;
  if (o.type !== "MemberExpression" || o.computed || o.property.name !== "prototype" || o.object.type !== "Identifier") return undefined;
  return [o.object.name, l.property.name];
}

/** The function a top-level statement is (`function f(){}`, `X.prototype.m=function(){}`); else undefined. */
function ownFunction(s) {
  return s.type === "FunctionDeclaration" ? s : protoMethod(s) ? s.expression.right : undefined;
}

/** Whether a node lies in a function that `node` makes (not `node` itself, nor `own`): such a function may run after a part's drop. */
function inMadeFunction(node, own) {
  const made = [];
  walk(node, (n) => isFunction(n) && n !== node && n !== own && made.push(n));
  return (n) => made.some((f) => f.start <= n.start && n.end <= f.end);
}

/**
 * A node's text with the names in `rn` (a part's stubbed functions) as `name$`,
 * and the edits `extra` has for any node in it (a call of another part's
 * function made through the loader: callSiteEdits; a function marker removed).
 */
function renamedIn(code, node, rn, extra) {
  const edits = [];
  // In a function the node makes, a stubbed name stays the stub's: that function may run after a drop.
  const inMade = inMadeFunction(node);
  walk(node, (n, par, key) => {
    const via = extra.get(n);
    if (via !== undefined) edits.push(...via);
    if (n.type !== "Identifier" || !rn.has(n.name)) return;
    if (inMade(n) || !isReference(par, key)) return;
    edits.push({ start: n.start, end: n.end, text: n.name + "$" });
  });
  return applyEdits(code, edits, node.start, node.end);
}

/**
 * The edits that make `call` (of function `name` of part `part`) load the part
 * itself: `f(a)` as `$c("p","f",a)`, `o.m(a)` as `$m("p",o,"m",a)`. The
 * function then needs no stub in the image: a stub costs as many variables as
 * the function it stands for.
 */
function callSiteEdits(code, call, part, name) {
  const paren = code.indexOf("(", call.callee.end);
  const rest = call.arguments.length > 0 ? "," : "";
  const p = JSON.stringify(part);
  const f = JSON.stringify(name);
  if (call.callee.type === "Identifier") {
    return [
      { start: call.callee.start, end: call.callee.end, text: "$c" },
      { start: paren + 1, end: paren + 1, text: `${p},${f}${rest}` },
    ];
  }
  const o = call.callee.object;
  return [
    { start: o.start, end: o.start, text: `$m(${p},` },
    { start: o.end, end: paren + 1, text: `,${f}${rest}` },
  ];
}

/**
 * Every free read of a top-level name (`f`) and every use of a property name
 * (`.m`), each as { y (its statement), node, call (the call it is the callee
 * of, if it is) }; a property name as an object literal's key or a string is
 * a definition of it (def: true) as well.
 */
function usesOf(stmts) {
  const uses = new Map();
  const add = (name, use) => (uses.get(name) ?? uses.set(name, []).get(name)).push(use);
  for (const y of stmts) {
    if (y.mark) continue;
    // A use in a function the statement makes when it runs (not the function it is) is inClosure.
    const inClosure = inMadeFunction(y.s, ownFunction(y.s));
    walkFree(y.s, (n, par, key) => {
      const call = par && par.type === "CallExpression" && key === "callee" ? par : undefined;
      if (n.type === "Identifier" && isReference(par, key)) {
        add(n.name, { y, node: n, call, inClosure: inClosure(n) });
      }
      if (n.type === "MemberExpression" && !n.computed) add("." + n.property.name, { y, node: n, call, inClosure: inClosure(n) });
      if (n.type === "Property" && n.key.type === "Identifier") add("." + n.key.name, { y, node: n, def: true });
      if (n.type === "Literal" && typeof n.value === "string") add("." + n.value, { y, node: n, def: true });
    });
  }
  return uses;
}

/**
 * The calls through which the moved function or method `x` is reached from
 * outside its part (`outside(use)`), when those are all it is: a function read
 * only as a callee there; a method whose name the code defines only as
 * methods of x's part (no other class, object literal or string has it), used
 * outside only as a callee. Such a call may still be an Espruino object's
 * method of that name: $m calls that directly (LOADER). Else undefined (it
 * keeps a stub).
 */
function callsOnly(x, uses, outside, movedOut) {
  const key = x.fn !== undefined ? x.fn : "." + x.method[1];
  const sites = [];
  for (const u of uses.get(key) ?? []) {
    if (x.method !== undefined) {
      const pm = protoMethod(u.y.s);
      const defines = pm !== undefined && pm[1] === x.method[1] && u.node === u.y.s.expression.left;
      if (defines && (u.y.part !== x.part || !movedOut(u.y))) return undefined; // a method of that name elsewhere
      if (defines) continue;
      if (u.def) return undefined;
    }
    if (!outside(u)) continue;
    if (u.call === undefined) return undefined;
    sites.push(u.call);
  }
  return sites;
}

/**
 * Throws where the image, while it is evaluated, calls a part's function (a
 * module-level `var k=f()`) before a class the part adds methods to is
 * declared: the part would load then and stop at the missing class
 * (Espruino defines a top-level function when it reaches it), a
 * ReferenceError at boot. A call inside a function runs later.
 */
function refuseEarlyLoads(stmts, uses, movedOut) {
  const declaredAt = new Map();
  stmts.forEach((y, i) => y.s.type === "FunctionDeclaration" && declaredAt.set(y.s.id.name, i));
  for (const x of stmts) {
    if (x.fn === undefined) continue;
    for (const u of uses.get(x.fn) ?? []) {
      if (movedOut(u.y) || u.call === undefined || u.inClosure || ownFunction(u.y.s) !== undefined) continue;
      const at = stmts.indexOf(u.y);
      const late = stmts.find((m) => m.part === x.part && m.method !== undefined && !(declaredAt.get(m.method[0]) < at));
      if (late !== undefined) {
        throw new Error(`espruino parts: the image calls ${x.fn} of the part ${x.part} while it loads, before ${late.method[0]} (a class that part adds methods to) is declared: compute it without the call, or keep the function out of the part`);
      }
    }
  }
}

/**
 * The top-level image split into the image and its parts. Throws where a
 * marker is missing. Returns { image, parts: { name: code } , moved }.
 */
export function splitImage(code, parts = PARTS) {
  const ast = acorn.parse(code, { ecmaVersion: 5, sourceType: "script" });
  const partOf = new Map();
  for (const name of Object.keys(parts)) for (const m of parts[name].modules ?? []) partOf.set(m, name);
  // Each top-level statement's part (undefined: the image), markers dropped.
  let current;
  const extraEdits = new Map(); // a node -> edits made wherever it is emitted: a function marker's removal, a call through the loader
  const stmts = [];
  for (const s of ast.body) {
    const mark = moduleMark(s);
    if (mark !== undefined) {
      current = partOf.get(mark);
      stmts.push({ s, mark: true });
      continue;
    }
    // A function a part names on its own (markFunctions) goes there, its marker removed.
    const fn = ownFunction(s);
    const fm = fn !== undefined ? functionMark(fn) : undefined;
    if (fm !== undefined) extraEdits.set(fm, [{ start: fm.start, end: fm.end, text: "" }]);
    // (A function marked "" stays in the image, though its module is a part's.)
    stmts.push({ s, part: fm !== undefined ? fm.expression.arguments[0].value || undefined : current });
  }
  // Names declared inside any function: a top-level function of that name is not moved (one-letter names may repeat).
  const inner = new Set();
  for (const { s } of stmts) {
    walk(s, (n, p) => {
      if (isFunction(n)) {
        if (n !== s && n.id) inner.add(n.id.name);
        for (const x of n.params) inner.add(x.name);
      }
      if (n.type === "VariableDeclarator" && s.type !== "VariableDeclaration") inner.add(n.id.name);
      if (n.type === "VariableDeclarator" && s.type === "VariableDeclaration" && !s.declarations.includes(n)) inner.add(n.id.name);
      if (n.type === "CatchClause" && n.param) inner.add(n.param.name);
    });
  }
  // What moves: top-level functions that are no constructor, and class methods.
  const ctor = new Set();
  for (const { s } of stmts) {
    walk(s, (n) => {
      if (n.type === "MemberExpression" && !n.computed && n.property.name === "prototype" && n.object.type === "Identifier") ctor.add(n.object.name);
      if (n.type === "NewExpression" && n.callee.type === "Identifier") ctor.add(n.callee.name);
    });
  }
  for (const x of stmts) {
    if (x.part === undefined) continue;
    if (x.s.type === "FunctionDeclaration" && !ctor.has(x.s.id.name) && !inner.has(x.s.id.name)) x.fn = x.s.id.name;
    else if (protoMethod(x.s)) x.method = protoMethod(x.s);
    else if (x.s.type === "VariableDeclaration" && x.s.declarations.every((d) => !ctor.has(d.id.name))) x.data = x.s.declarations.map((d) => d.id.name);
    else if (x.s.type === "ExpressionStatement") x.data = [];
  }
  // Identifiers and property names each statement uses (the moved function's own name excluded).
  const idsOf = (x) => {
    const ids = new Set();
    const props = new Set();
    // Names a function binds are its own, not the top level's (one-letter names repeat).
    walkFree(x.s, (n, p, key) => {
      if (n.type === "Identifier") (isReference(p, key) ? ids : props).add(n.name);
      if (n.type === "Literal" && typeof n.value === "string") props.add(n.value);
    });
    if (x.fn) ids.delete(x.fn);
    if (x.method) props.delete(x.method[1]);
    return { ids, props };
  };
  for (const x of stmts) Object.assign(x, x.mark ? { ids: new Set(), props: new Set() } : idsOf(x));
  const movedOut = (x) => x.fn !== undefined || x.method !== undefined || (x.data !== undefined && !x.stays);
  /** Used outside part p: by the image or another part. */
  const usedOutside = (p, test) => stmts.some((y) => (y.part !== p || !movedOut(y)) && test(y));
  // A part's module-level data (var statements, and expression statements that touch only
  // the part's own data and call functions) goes with it when nothing outside reads it;
  // else it stays in the image. Repeated until nothing more has to stay.
  const fnNames = new Set(stmts.filter((x) => x.s.type === "FunctionDeclaration").map((x) => x.s.id.name));
  const topVars = new Set(stmts.filter((x) => x.s.type === "VariableDeclaration").flatMap((x) => x.s.declarations.map((d) => d.id.name)));
  for (let changed = true; changed; ) {
    changed = false;
    for (const x of stmts) {
      if (x.data === undefined || x.stays) continue;
      let stay = x.data.some((n) => usedOutside(x.part, (y) => y !== x && y.ids.has(n)));
      if (!stay && x.data.length === 0) {
        // An expression statement: only this part's moved data and functions.
        const mine = (n) => stmts.some((y) => y.part === x.part && movedOut(y) && y !== x && y.data !== undefined && y.data.includes(n));
        for (const n of x.ids) if (topVars.has(n) ? !mine(n) : !fnNames.has(n)) stay = true;
      }
      if (stay) {
        x.stays = true;
        changed = true;
      }
    }
  }
  const out = { image: "", parts: {}, moved: {} };
  const partCode = {};
  const drops = {};
  let image = "";
  let at = ast.body.length > 0 ? ast.body[0].start : 0;
  for (const name of Object.keys(parts)) {
    partCode[name] = [];
    drops[name] = [];
    out.moved[name] = { functions: 0, stubs: 0, data: 0 };
  }
  const renames = new Map(); // part -> names its own code calls directly under `name$`
  const renamed = (node, rn) => renamedIn(code, node, rn, extraEdits);
  const uses = usesOf(stmts);
  for (const x of stmts) {
    if (!movedOut(x) || x.data !== undefined) continue;
    // A function the part makes (a callback, a handler) may run once the part is dropped: a use there is outside too.
    const key = x.fn !== undefined ? x.fn : "." + x.method[1];
    const inMade = (uses.get(key) ?? []).some((u) => u.inClosure && u.y.part === x.part && movedOut(u.y));
    if (x.fn) x.external = inMade || usedOutside(x.part, (y) => y.ids.has(x.fn));
    else x.external = inMade || usedOutside(x.part, (y) => y.props.has(x.method[1]));
    // Called by name from outside, never taken as a value: each call loads the part, no stub.
    const sites = x.external ? callsOnly(x, uses, (u) => u.y.part !== x.part || !movedOut(u.y) || u.inClosure, movedOut) : undefined;
    if (sites !== undefined) {
      for (const call of sites) extraEdits.set(call, callSiteEdits(code, call, x.part, x.fn ?? x.method[1]));
      x.external = false;
    }
    if (x.fn && x.external) {
      if (!renames.has(x.part)) renames.set(x.part, new Set());
      renames.get(x.part).add(x.fn);
    }
  }
  refuseEarlyLoads(stmts, uses, movedOut);
  const partData = {};
  for (const name of Object.keys(parts)) partData[name] = [];
  for (const x of stmts) {
    const before = code.slice(at, x.s.start);
    at = x.s.end;
    if (x.mark) continue;
    if (!movedOut(x)) {
      image += before + renamed(x.s, NONE);
      continue;
    }
    image += before.replace(/[^\s;]/g, "");
    const p = x.part;
    const load = `$p(${JSON.stringify(p)})`;
    const done = `$x(${JSON.stringify(p)})`;
    const rn0 = renames.get(p) ?? new Set();
    if (x.data !== undefined) {
      // Run when the part loads, after its functions are defined (as hoisting had them); a var as a global.
      const t = renamed(x.s, rn0);
      if (x.s.type === "VariableDeclaration") {
        const decls = x.s.declarations.map((d) => d.id.name + "=" + (d.init ? renamed(d.init, rn0) : "undefined"));
        partData[p].push(decls.join(",") + ";");
        for (const n of x.data) drops[p].push(`delete global.${n}`);
      } else partData[p].push(t.endsWith(";") ? t : t + ";");
      out.moved[p].data++;
      continue;
    }
    out.moved[p].functions++;
    const fe = x.fn ? x.s : x.s.expression.right;
    // The function's text from `function`, its direct calls to the part's stubbed names renamed.
    const body = renamed(fe, rn0);
    if (x.fn) {
      // `function f(..){..}` as `f=function f$(..)` would name it; an anonymous expression costs no name.
      const fnText = "function" + body.slice(body.indexOf("("));
      const target = x.external ? x.fn + "$" : x.fn;
      partCode[p].push(`${target}=${fnText};`);
      drops[p].push(`delete global.${target}`);
      if (x.external) {
        image += `function ${x.fn}(){${load};try{return ${x.fn}$.apply(this,arguments)}finally{${done}}}`;
        out.moved[p].stubs++;
      }
    } else {
      const [cls, m] = x.method;
      const target = x.external ? m + "$" : m;
      partCode[p].push(`${cls}.prototype.${target}=${body};`);
      drops[p].push(`delete ${cls}.prototype.${target}`);
      if (x.external) {
        image += `${cls}.prototype.${m}=function(){${load};try{return this.${m}$.apply(this,arguments)}finally{${done}}};`;
        out.moved[p].stubs++;
      }
    }
  }
  image += code.slice(at);
  // $H: the part each part holds loaded while one of its calls runs (PARTS' `holds`).
  const holds = Object.keys(parts).filter((n) => parts[n].holds !== undefined).map((n) => `${n}:${JSON.stringify(parts[n].holds)}`);
  let head = `var $P={},$U={},$C={},$Q={},$D={},$H={${holds.join(",")}},$W;\n`;
  for (const name of Object.keys(parts)) {
    if (partCode[name].length === 0 && partData[name].length === 0) continue;
    // A dropped part's dropper comes with it, and the loader deletes it once run ($x, $w; a
    // function deleting itself while it runs left Espruino's REPL dead after UNLOCK, now and
    // then): in the image, 13 droppers held about 50 variables while their parts were not loaded.
    const dropper = parts[name].drop ? `$D.${name}=function(){${drops[name].join(";")}};` : "";
    const body = partCode[name].join("") + partData[name].join("") + dropper;
    if (body.includes("\n")) throw new Error(`espruino parts: the part ${name} is not one line`);
    out.parts[name] = body;
    head += `$Q.${name}=function(){${body}};\n`;
  }
  out.image = head + LOADER + image;
  return out;
}

/**
 * Loads part n once: its Storage file evaluated (code stays in flash), else
 * the one-file image's maker. A part with a dropper (defined by the part, in
 * $D while it is loaded) goes again once it has not been called for a second
 * (a timer, so none of its code is running).
 */
const LOADER =
  // One idle timer for all parts ($W: when it was set; about 10 variables a timer, and a Pico's
  // boot touched a dozen parts within a second). One set over 2 s ago is gone (a boot's sweep
  // clears every timer): set anew.
  'function $p($n){if(!$P[$n]){var $s=require("Storage").read("pindai."+$n);if($s!==undefined){eval($s);$s=0}else $Q[$n]();$P[$n]=1}' +
  "$C[$n]=($C[$n]|0)+1;if($D[$n]){var $t=getTime();$U[$n]=$t;if(!(Math.abs($t-$W)<2)){$W=$t;setTimeout($w,1000)}}if($H[$n])$p($H[$n])}\n" +
  // The last call out of a part: where variables are short it goes at once, else once idle.
  "function $x($n){if(--$C[$n]===0&&$D[$n]&&$P[$n]&&typeof process!==\"undefined\"&&process.memory(false).free<" + LOW_FREE + "){$D[$n]();delete $D[$n];delete $P[$n]}if($H[$n])$x($H[$n])}\n" +
  // Idle: a part not called for a second goes (either way: the clock may be set back meanwhile);
  // the timer runs again while any part is still in use. A timer runs with no code on the stack,
  // so a count left above 0 is a call Espruino cut off (out of memory: no finally runs then), not
  // one running: cleared, or the part would stay forever.
  "function $w(){$W=undefined;var $t=getTime(),$k=Object.keys($P),$r=0;for(var i=0;i<$k.length;i++){var $n=$k[i];if(!$D[$n])continue;if(Math.abs($t-$U[$n])<1)$r=1;else{$C[$n]=0;$D[$n]();delete $D[$n];delete $P[$n]}}if($r){$W=$t;setTimeout($w,1000)}}\n" +
  // A call of a part's function from outside it (callSiteEdits): $c("p","f",a) for f(a), $m("p",o,"m",a) for o.m(a).
  "function $c($n,$f){$p($n);try{return global[$f].apply(undefined,[].slice.call(arguments,2))}finally{$x($n)}}\n" +
  // A method there while its part is not loaded is not the part's (an Espruino object's of that name): called as it is.
  "function $m($n,$o,$f){var $a=[].slice.call(arguments,3);if(!$P[$n]&&typeof $o[$f]===\"function\")return $o[$f].apply($o,$a);$p($n);try{return $o[$f].apply($o,$a)}finally{$x($n)}}\n";

/**
 * Modules whose functions keep their declared parameters (host/build/espruino-arguments.js):
 * the arithmetic a verification runs thousands of calls of, where an `arguments` array per
 * call would cost time. The natives before the first module (E.convolve's products) are kept too.
 */
export const HOT_MODULES = ["firmware/core/field25519.ts", "firmware/core/ed25519-curve.ts", "firmware/core/ed25519.ts", "firmware/core/ed25519-table.ts"];

/** The top-level statements (of the parsed bundle `ast`) of the natives and of HOT_MODULES. */
export function hotStatements(ast) {
  const hot = new Set();
  let inHot = true;
  for (const s of ast.body) {
    const mark = moduleMark(s);
    if (mark !== undefined) inHot = HOT_MODULES.includes(mark);
    else if (inHot) hot.add(s);
  }
  return hot;
}

/** rollup output plugin, after the top-level step: parameters as `arguments` outside the hot modules, then the split. */
export function partsPlugin() {
  return {
    name: "pindai-espruino-parts",
    renderChunk(code) {
      const ast = acorn.parse(code, { ecmaVersion: 5, sourceType: "script" });
      const hot = hotStatements(ast);
      return { code: splitImage(paramsAsArguments(code, (s) => hot.has(s), ast).code).image, map: null };
    },
  };
}
