// The Espruino image's natives for the core (firmware/core/natives.ts):
// what Espruino runs natively, found here and nowhere in the core. rollup.config.js
// bundles this file alone and puts it in front of the image's modules, as
// PINDAI_NATIVES, so the core sees it when its modules load. Without E (Node,
// a vm without Espruino's globals) it hands in nothing.
import type { Bytes } from "../../core/bytes";
import type { Natives } from "../../core/natives";

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const E: any;
declare function require(name: string): any;

type Fe = Float64Array;

// Espruino interprets source text, so a product is fastest as few native
// calls: E.convolve(a, R2, j) = sum of a[i] * R2[(i + j) mod 32]. With R2
// holding b reversed, then 38 * b reversed, call j = 15 - k gives column k of
// the product already folded mod 2^256 - 38: 16 calls instead of 256 products.
// Taken once, into this file's own small scope: Espruino looks a name up
// through every name of its scope, and the image's scope holds hundreds.
const CONV: any = typeof E !== "undefined" && typeof E.convolve === "function" ? E.convolve : undefined;
const R2 = new Float64Array(32);

/** r = a * b mod p with E.convolve (Espruino). r may alias a or b. */
function mulConvolve(r: Fe, a: Fe, b: Fe): void {
  const R = R2;
  const c = CONV;
  let v: number;
  v = b[0]; R[15] = v; R[31] = 38 * v;
  v = b[1]; R[14] = v; R[30] = 38 * v;
  v = b[2]; R[13] = v; R[29] = 38 * v;
  v = b[3]; R[12] = v; R[28] = 38 * v;
  v = b[4]; R[11] = v; R[27] = 38 * v;
  v = b[5]; R[10] = v; R[26] = 38 * v;
  v = b[6]; R[9] = v; R[25] = 38 * v;
  v = b[7]; R[8] = v; R[24] = 38 * v;
  v = b[8]; R[7] = v; R[23] = 38 * v;
  v = b[9]; R[6] = v; R[22] = 38 * v;
  v = b[10]; R[5] = v; R[21] = 38 * v;
  v = b[11]; R[4] = v; R[20] = 38 * v;
  v = b[12]; R[3] = v; R[19] = 38 * v;
  v = b[13]; R[2] = v; R[18] = 38 * v;
  v = b[14]; R[1] = v; R[17] = 38 * v;
  v = b[15]; R[0] = v; R[16] = 38 * v;
  const t0 = c(a, R, 15),
    t1 = c(a, R, 14),
    t2 = c(a, R, 13),
    t3 = c(a, R, 12),
    t4 = c(a, R, 11),
    t5 = c(a, R, 10),
    t6 = c(a, R, 9),
    t7 = c(a, R, 8),
    t8 = c(a, R, 7),
    t9 = c(a, R, 6),
    t10 = c(a, R, 5),
    t11 = c(a, R, 4),
    t12 = c(a, R, 3),
    t13 = c(a, R, 2),
    t14 = c(a, R, 1),
    t15 = c(a, R, 0);
  // Floors without Math.floor (a name lookup through the whole bundle's scope on
  // Espruino): x is biased by 2^51 to be positive, so q - q % 1 is its floor,
  // and k carries 2^35 too much, which the next constant takes back:
  // 2251765454012415 = 2^51 - 2^35 + 65535.
  const B = 2251765454012415; // parsed once a call, not 15 times
  let x = t0 + 2251799813685248 + 65536;
  let q = x / 65536;
  let k = q - (q % 1);
  r[0] = x - k * 65536;
  x = t1 + k + B; q = x / 65536; k = q - (q % 1); r[1] = x - k * 65536;
  x = t2 + k + B; q = x / 65536; k = q - (q % 1); r[2] = x - k * 65536;
  x = t3 + k + B; q = x / 65536; k = q - (q % 1); r[3] = x - k * 65536;
  x = t4 + k + B; q = x / 65536; k = q - (q % 1); r[4] = x - k * 65536;
  x = t5 + k + B; q = x / 65536; k = q - (q % 1); r[5] = x - k * 65536;
  x = t6 + k + B; q = x / 65536; k = q - (q % 1); r[6] = x - k * 65536;
  x = t7 + k + B; q = x / 65536; k = q - (q % 1); r[7] = x - k * 65536;
  x = t8 + k + B; q = x / 65536; k = q - (q % 1); r[8] = x - k * 65536;
  x = t9 + k + B; q = x / 65536; k = q - (q % 1); r[9] = x - k * 65536;
  x = t10 + k + B; q = x / 65536; k = q - (q % 1); r[10] = x - k * 65536;
  x = t11 + k + B; q = x / 65536; k = q - (q % 1); r[11] = x - k * 65536;
  x = t12 + k + B; q = x / 65536; k = q - (q % 1); r[12] = x - k * 65536;
  x = t13 + k + B; q = x / 65536; k = q - (q % 1); r[13] = x - k * 65536;
  x = t14 + k + B; q = x / 65536; k = q - (q % 1); r[14] = x - k * 65536;
  x = t15 + k + B; q = x / 65536; k = q - (q % 1); r[15] = x - k * 65536;
  x = r[0] + 38 * k + 2250494143627226; // r[0] + 38 * (carry - 1), biased
  q = x / 65536;
  k = q - (q % 1);
  r[0] = x - k * 65536;
  r[1] += k - 34359738368;
}

function sqrConvolve(r: Fe, a: Fe): void {
  mulConvolve(r, a, a);
}

// An element as 16 32-bit integers: 64 bytes, 7 variables on a board where 16
// doubles take 12 (a verification holds about 40 elements). Exact: limbs are
// stored carried (mulConvolve) or a few sums of carried limbs (add, sub), far
// inside 2^31; E.convolve reads them as numbers all the same.
function elementInt32(): Fe {
  return new Int32Array(16) as unknown as Fe;
}

/** The board's hash `name` ("SHA256", "SHA512") from its crypto module (the Linux build has it, a Puck.js does not). */
function boardHash(name: string): ((this: void, m: Bytes) => Bytes) | undefined {
  if (typeof require !== "function") return undefined;
  try {
    const c = require("crypto");
    if (c === undefined || typeof c[name] !== "function") return undefined;
    const f = c[name];
    return (m: Bytes) => new Uint8Array(f(m));
  } catch (e) {
    return undefined;
  }
}

/** Valid UTF-8 bytes as a string: Espruino's String.fromCharCode keeps only 8 bits, its own decoder makes the string. */
function utf8Text(b: Bytes): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return E.asUTF8(s);
}

function espruinoNatives(): Natives {
  const n: Natives = {};
  if (typeof E === "undefined") return n;
  if (CONV !== undefined) n.product = { mul: mulConvolve, sqr: sqrConvolve, element: elementInt32 };
  n.sha512 = boardHash("SHA512");
  n.sha256 = boardHash("SHA256");
  if (typeof E.asUTF8 === "function") n.utf8Text = utf8Text;
  return n;
}

export default espruinoNatives();
