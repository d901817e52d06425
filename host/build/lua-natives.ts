// The Lua natives (firmware/targets/lua/natives.lua) put in front of a
// typescript-to-lua bundle: they define PINDAI_NATIVES before any module of
// the bundle loads, which is when firmware/core/natives.ts looks for them.
import { readFileSync } from "node:fs";
import { alloc } from "../../firmware/core/bytes";
import { type Fe, fe, add, sub, mul, inv, pack } from "../../firmware/core/field25519";
import { CONSTANTS, point, setPoint, addPoints, doublePoint } from "../../firmware/core/ed25519-curve";
import { basePoint } from "../../firmware/core/ed25519";
import { luaLiteral } from "./lua-literal";

const NATIVES_LUA = new URL("../../firmware/targets/lua/natives.lua", import.meta.url);

// The bundle's require keeps every module's main function in ____modules, and
// its last lines keep the bundle's own main function running until the entry
// has loaded: so the code that runs once (each module's top level, and
// functions nothing keeps, as the portable paths the natives replace) stays
// in memory through the boot. Dropping a module's main function as it is
// called, returning the entry by a tail call and collecting after each module
// frees it as the boot goes: the device image's boot peaks about 50 KB lower
// on a Cortex-M4 (bench/cortex-m.ts).
const TAKE_MODULE = "        local module = ____modules[file]\n";
const CACHE_MODULE = "        ____moduleCache[file] = { value = value }\n";
const ENTRY = /local ____entry = require\(("[^"\n]+"), \.\.\.\)\nreturn ____entry\n?$/;

function freeingModulesOnLoad(bundle: string): string {
  const entry = ENTRY.exec(bundle);
  if (!bundle.includes(TAKE_MODULE) || !bundle.includes(CACHE_MODULE) || entry === null) {
    throw new Error("lua-natives: the typescript-to-lua bundle's require is not the one expected (a new typescript-to-lua?)");
  }
  return (
    bundle
      .slice(0, entry.index)
      .replace(TAKE_MODULE, TAKE_MODULE + "        ____modules[file] = nil\n")
      .replace(CACHE_MODULE, CACHE_MODULE + "        collectgarbage()\n") + `return require(${entry[1]}, ...)\n`
  );
}

// --- The table addition, written out (natives.lua's --@addEntry) ------------
// Lua has no macros and a call costs about 6 arithmetic bytecodes: the 7
// products of a table addition, each mul's 100 products and 12 carries, are
// spelt out here on locals, with the sums between them, so that nothing goes
// through a table or a call (about 13 % fewer instructions per addition on
// the Cortex-M4 model, bench/cortex-m.ts).

const names = (p: string) => Array.from({ length: 10 }, (_, i) => p + i);
const list = (p: string) => names(p).join(", ");
/** Lua: local p0, ..., p9 for each prefix. */
const locals = (...ps: string[]) => ps.map((p) => `local ${list(p)}`);
const each = (f: (i: number) => string) => Array.from({ length: 10 }, (_, i) => f(i)).join("; ");
// The rounded carries of natives.lua's mul, in its order: [limb, width].
const CARRIES: Array<[number, number]> = [[0, 26], [4, 26], [1, 25], [5, 25], [2, 26], [6, 26], [3, 25], [7, 25], [4, 26], [8, 26], [9, 25], [0, 26]];

/** out = f * g mod p, carried: natives.lua's mul, term for term, on the locals named (out already declared). */
function productLua(f: string[], g: string[], out: string[]): string {
  const u = (j: number) => "u" + j; // 19 g_j, for columns past 2^255
  const v = (i: number) => "v" + i; // 2 f_i, for odd i and odd j (two half bits)
  const lines = [
    `local ${[1, 2, 3, 4, 5, 6, 7, 8, 9].map(u).join(", ")} = ${[1, 2, 3, 4, 5, 6, 7, 8, 9].map((j) => "19 * " + g[j]).join(", ")}`,
    `local ${[1, 3, 5, 7, 9].map(v).join(", ")} = ${[1, 3, 5, 7, 9].map((i) => "2 * " + f[i]).join(", ")}`,
  ];
  for (let k = 0; k < 10; k++) {
    const terms: string[] = [];
    for (let i = 0; i < 10; i++) {
      const j = (k - i + 10) % 10;
      terms.push(`${i % 2 === 1 && j % 2 === 1 ? v(i) : f[i]} * ${i + j >= 10 ? u(j) : g[j]}`);
    }
    lines.push(`${out[k]} = ${terms.join(" + ")}`);
  }
  return "do\n" + lines.join("\n") + "\n" + carriesLua(out) + "\nend";
}

/** Lua: mul's 12 rounded carries on the locals named. */
function carriesLua(h: string[]): string {
  const lines = ["local c"];
  for (const [i, w] of CARRIES) {
    const next = i === 9 ? `${h[0]} = ${h[0]} + 19 * c` : `${h[i + 1]} = ${h[i + 1]} + c`;
    const bias = w === 26 ? "-9223372036821221376" : "-9223372036837998592";
    lines.push(`c = ((${h[i]} + ${bias}) >> ${w}) - ${2n ** BigInt(63 - w)}; ${next}; ${h[i]} = ${h[i]} - (c << ${w})`);
  }
  return lines.join("\n");
}

/** out = f^2 mod p, carried: natives.lua's sqrn (one squaring), term for term, on the locals named (out already declared). */
function squareLua(f: string[], out: string[]): string {
  const [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9] = f;
  const lines = [
    `local _d0, _d1, _d2, _d3, _d4 = 2 * ${f0}, 2 * ${f1}, 2 * ${f2}, 2 * ${f3}, 2 * ${f4}`,
    `local _q1, _q3 = 4 * ${f1}, 4 * ${f3}`,
    `local _n6, _n8 = 19 * ${f6}, 19 * ${f8}`,
    `local _t2, _t3, _t4, _t5, _t6, _t7, _t8, _t9 = 38 * ${f2}, 38 * ${f3}, 38 * ${f4}, 38 * ${f5}, 38 * ${f6}, 38 * ${f7}, 38 * ${f8}, 38 * ${f9}`,
    `local _s1, _s3, _s5, _s7 = 76 * ${f1}, 76 * ${f3}, 76 * ${f5}, 76 * ${f7}`,
    `${out[0]} = ${f0} * ${f0} + _s1 * ${f9} + _t2 * ${f8} + _s3 * ${f7} + _t4 * ${f6} + _t5 * ${f5}`,
    `${out[1]} = _d0 * ${f1} + _t2 * ${f9} + _t3 * ${f8} + _t4 * ${f7} + _t5 * ${f6}`,
    `${out[2]} = _d0 * ${f2} + _d1 * ${f1} + _s3 * ${f9} + _t4 * ${f8} + _s5 * ${f7} + _n6 * ${f6}`,
    `${out[3]} = _d0 * ${f3} + _d1 * ${f2} + _t4 * ${f9} + _t5 * ${f8} + _t6 * ${f7}`,
    `${out[4]} = _d0 * ${f4} + _q1 * ${f3} + ${f2} * ${f2} + _s5 * ${f9} + _t6 * ${f8} + _t7 * ${f7}`,
    `${out[5]} = _d0 * ${f5} + _d1 * ${f4} + _d2 * ${f3} + _t6 * ${f9} + _t7 * ${f8}`,
    `${out[6]} = _d0 * ${f6} + _q1 * ${f5} + _d2 * ${f4} + _d3 * ${f3} + _s7 * ${f9} + _n8 * ${f8}`,
    `${out[7]} = _d0 * ${f7} + _d1 * ${f6} + _d2 * ${f5} + _d3 * ${f4} + _t8 * ${f9}`,
    `${out[8]} = _d0 * ${f8} + _q1 * ${f7} + _d2 * ${f6} + _q3 * ${f5} + ${f4} * ${f4} + _t9 * ${f9}`,
    `${out[9]} = _d0 * ${f9} + _d1 * ${f8} + _d2 * ${f7} + _d3 * ${f6} + _d4 * ${f5}`,
  ];
  return "do\n" + lines.join("\n") + "\n" + carriesLua(out) + "\nend";
}

/** Lua: the 10 limbs (natives.lua unpackAt) of the element at byte pos (1-based) of the string s, as new locals k0..k9. */
const entryLimbs = (pos: string) =>
  `local w0, w1, w2, w3 = sunpack("<i8i8i8i8", s, ${pos})\n` +
  `local ${list("k")} = w0 & 0x3ffffff, (w0 >> 26) & 0x1ffffff, ((w0 >> 51) | (w1 << 13)) & 0x3ffffff, (w1 >> 13) & 0x1ffffff, (w1 >> 38) & 0x3ffffff, ` +
  `w2 & 0x1ffffff, (w2 >> 25) & 0x3ffffff, ((w2 >> 51) | (w3 << 13)) & 0x1ffffff, (w3 >> 12) & 0x3ffffff, (w3 >> 38) & 0x1ffffff`;

/** point[1..10] = f * g (a coordinate of q). */
const productInto = (point: string, f: string, g: string) =>
  `do\nlocal ${list("r")}\n${productLua(names(f), names(g), names("r"))}\n${names("r").map((_, i) => `${point}[${i + 1}]`).join(", ")} = ${list("r")}\nend`;

/** natives.lua's addEntry (its comment says what it computes; addCached's formulas with Z = 1). */
export function addEntryLua(): string {
  const mix = (sign: string, other: string) => `${each((i) => `e${i}, h${i}, f${i}, g${i} = b${i} - a${i}, b${i} + a${i}, z${i} ${sign} c${i}, z${i} ${other} c${i}`)}`;
  return [
    "local function addEntry(q, subtable, d, needT)",
    "local neg = d < 0",
    "local at = ((neg and -d or d) - 1) * 96 + 1",
    "local s = subtable.s",
    "if s == nil then s, at = string.char(table.unpack(subtable, at - 1, at + 94)), 1 end",
    "local X, Y, Z, T = q[1], q[2], q[3], q[4]",
    ...locals("e", "f", "g", "h"),
    "do",
    ...locals("a", "b"),
    "do",
    `local ${list("x")} = ${names("x").map((_, i) => `X[${i + 1}]`).join(", ")}`,
    `local ${list("y")} = ${names("y").map((_, i) => `Y[${i + 1}]`).join(", ")}`,
    `local ${list("sp")} = ${names("y").map((_, i) => `y${i} + x${i}`).join(", ")}`,
    `local ${list("sm")} = ${names("y").map((_, i) => `y${i} - x${i}`).join(", ")}`,
    // A = (Y - X)(y - x of the entry), B = (Y + X)(y + x), the two swapped for a negative digit.
    `do\n${entryLimbs("neg and at or at + 32")}\n${productLua(names("sm"), names("k"), names("a"))}\nend`,
    `do\n${entryLimbs("neg and at + 32 or at")}\n${productLua(names("sp"), names("k"), names("b"))}\nend`,
    "end",
    `local ${list("c")}`,
    `do\nlocal ${list("t")} = ${names("t").map((_, i) => `T[${i + 1}]`).join(", ")}\n${entryLimbs("at + 64")}\n${productLua(names("t"), names("k"), names("c"))}\nend`,
    `local ${list("z")} = ${names("z").map((_, i) => `2 * Z[${i + 1}]`).join(", ")}`,
    // E = B - A, H = B + A, F = 2Z - C, G = 2Z + C (C negated for a negative digit).
    `if neg then ${mix("+", "-")} else ${mix("-", "+")} end`,
    "end",
    ...finalProducts("T"),
    "end",
  ].join("\n");
}

/** The last four products of an addition or a doubling: X = EF, Y = GH, Z = FG, and T = EH into `t` when needed. */
function finalProducts(t: string): string[] {
  return [productInto("X", "e", "f"), productInto("Y", "g", "h"), productInto("Z", "f", "g"), `if needT then\n${productInto(t, "e", "h")}\nend`];
}

/** natives.lua's dbl written out (its comment says what it computes), for the table path's 12 doublings. */
export function doubleLua(): string {
  const load = (p: string, t: string) => `local ${list(p)} = ${names(p).map((_, i) => `${t}[${i + 1}]`).join(", ")}`;
  return [
    "local function dblTables(q, needT)",
    "local X, Y, Z = q[1], q[2], q[3]",
    ...locals("e", "f", "g", "h"),
    "do",
    ...locals("a", "b", "c"),
    "do",
    load("x", "X"),
    load("y", "Y"),
    squareLua(names("x"), names("a")),
    squareLua(names("y"), names("b")),
    `local ${list("xy")} = ${names("x").map((_, i) => `x${i} + y${i}`).join(", ")}`,
    squareLua(names("xy"), names("e")),
    "end",
    `do\n${load("z", "Z")}\n${squareLua(names("z"), names("c"))}\nend`,
    // dblMix: E = (X + Y)^2 - A - B, G = B - A, F = 2C - G, H = A + B.
    each((i) => `e${i}, g${i}, h${i} = e${i} - a${i} - b${i}, b${i} - a${i}, a${i} + b${i}; f${i} = 2 * c${i} - g${i}`),
    "end",
    ...finalProducts("q[4]"),
    "end",
  ].join("\n");
}

// --- The base point's odd multiples (natives.lua's --@baseOddMultiples) ------

/**
 * B's x and y, then for k = 1, 3, ..., 15 the affine entry of kB as
 * ed25519-table.ts writes one (y + x, y - x, 2d x y), each canonical and 32
 * bytes: 832 bytes, computed with the portable core.
 */
export function baseOddMultiples(): Uint8Array {
  const out = new Uint8Array(64 + 8 * 96);
  const buf = alloc(32);
  const put = (at: number, v: Fe) => {
    pack(buf, v);
    for (let i = 0; i < 32; i++) out[at + i] = buf[i];
  };
  const B = basePoint();
  put(0, B.x); // Z = 1: affine already
  put(32, B.y);
  const twice = point();
  doublePoint(twice, B);
  const p = point();
  setPoint(p, B);
  const [zi, x, y, t] = [fe(), fe(), fe(), fe()];
  for (let j = 0; j < 8; j++) {
    if (j > 0) addPoints(p, p, twice);
    inv(zi, p.z);
    mul(x, p.x, zi);
    mul(y, p.y, zi);
    add(t, y, x);
    put(64 + j * 96, t);
    sub(t, y, x);
    put(64 + j * 96 + 32, t);
    mul(t, x, y);
    mul(t, t, CONSTANTS.D2);
    put(64 + j * 96 + 64, t);
  }
  return out;
}

const BASE_ODD = "--@baseOddMultiples\n";
const ADD_ENTRY = "--@addEntry\n";
const TABLE_PATH = /^-- @tables:[^]*?^-- @end tables\n/m;

/**
 * The bundle with the Lua natives in front. tables: false for an image whose
 * device makes no tables (the Lua image: firmware/targets/lua/main.ts): the
 * table path is left out, and the core would run its own were it ever called.
 */
export function withLuaNatives(bundle: string, o: { tables?: boolean } = {}): string {
  const natives = readFileSync(NATIVES_LUA, "utf8");
  if (!natives.includes(ADD_ENTRY) || !TABLE_PATH.test(natives) || !natives.includes(BASE_ODD)) {
    throw new Error("lua-natives: natives.lua has no --@addEntry or --@baseOddMultiples line or no -- @tables section");
  }
  // (A function, so that no "$" of the literal is read as a replacement pattern.)
  const withBase = natives.replace(BASE_ODD, () => `local BASE_ODD = ${luaLiteral(baseOddMultiples())}\n`);
  const lua = o.tables === false ? withBase.replace(TABLE_PATH, "local tableMulSub = nil -- this image makes no tables\n") : withBase.replace(ADD_ENTRY, addEntryLua() + "\n" + doubleLua() + "\n");
  return "PINDAI_NATIVES = (function()\n" + lua + "\nend)()\n" + freeingModulesOnLoad(bundle);
}
