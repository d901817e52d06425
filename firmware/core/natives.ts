// The one place where a target hands the core native helpers: code its
// runtime runs faster than the portable TypeScript. A target defines
// PINDAI_NATIVES before the bundle's modules load: the Lua image starts with
// firmware/targets/lua/natives.lua, the Espruino image with
// firmware/targets/espruino/natives.ts (rollup.config.js puts it in front).
// Without it the core runs its portable path, which is what the conformance
// suite runs on every runtime. No other file of the core knows a runtime.
import type { Bytes } from "./bytes";
import type { CborItem } from "./cbor";

/** A field element as the natives represent it (opaque to the core). */
export type NativeFe = Float64Array;

/** GF(2^255 - 19) with the semantics of the portable functions of field25519.ts. */
export interface FieldNatives {
  fe: (this: void) => NativeFe;
  set: (this: void, r: NativeFe, a: NativeFe) => void;
  add: (this: void, r: NativeFe, a: NativeFe, b: NativeFe) => void;
  sub: (this: void, r: NativeFe, a: NativeFe, b: NativeFe) => void;
  mul: (this: void, r: NativeFe, a: NativeFe, b: NativeFe) => void;
  sqr: (this: void, r: NativeFe, a: NativeFe) => void;
  pack: (this: void, o: Bytes, a: NativeFe) => void;
  unpack: (this: void, r: NativeFe, b: Bytes) => void;
  unpackAt: (this: void, r: NativeFe, b: Bytes, at: number) => void;
  /** 1/z and z^((p - 5) / 8) in one call, where the target has them (field25519.ts inv, pow2523). */
  inv?: (this: void, r: NativeFe, z: NativeFe) => void;
  pow2523?: (this: void, r: NativeFe, z: NativeFe) => void;
}

/** A point in extended coordinates, of the field natives' elements (ed25519-curve.ts Point). */
export interface NativePoint {
  x: NativeFe;
  y: NativeFe;
  z: NativeFe;
  t: NativeFe;
}

/** Whole scalar products in one call (ed25519.ts doubleScalarMul, ed25519-table.ts tableMulSub). */
export interface CurveNatives {
  doubleScalarMul: (this: void, s1: Bytes, p1: NativePoint, s2: Bytes, p2: NativePoint) => NativePoint;
  /** undefined where it cannot take these tables (the core then runs its own). */
  tableMulSub?: (this: void, s1: Bytes, table1: Bytes[], s2: Bytes, table2: Bytes[]) => NativePoint | undefined;
}

/**
 * The product alone, on the core's own elements (16 limbs of 16 bits,
 * field25519.ts): r = a * b mod p, r = a * a mod p, r may alias a or b; limbs
 * come out below 2^16 but limb 1, below 2^18 (as the portable product leaves them).
 */
export interface ProductNatives {
  mul: (this: void, r: Float64Array, a: Float64Array, b: Float64Array) => void;
  sqr: (this: void, r: Float64Array, a: Float64Array) => void;
  /**
   * A new zero element in a smaller array than 16 doubles, where every value
   * the field stores fits it (Espruino: Int32Array, 7 variables instead of 12).
   * Only with this product, which stores limbs carried; the portable product
   * stores columns up to 2^46 before its carry pass.
   */
  element?: (this: void) => Float64Array;
}

export interface Natives {
  /** A whole representation of the field (Lua: 10 limbs on 64-bit integers). */
  field?: FieldNatives;
  curve?: CurveNatives;
  /** A 64-byte little-endian number mod L (the group order), as a new Bytes value of 32 (ed25519.ts reduce64). */
  reduce64?: (this: void, h: Bytes) => Bytes;
  /** Or only a faster product on the portable representation (Espruino: E.convolve). */
  product?: ProductNatives;
  /**
   * A whole Ed25519 verification by the platform's own library (Node: OpenSSL
   * through node:crypto): true when [S]B = R + [k]A, R compared byte for byte;
   * false also when A is not on the curve. The core calls it only after its own
   * strict checks (S < L, R and A canonical, A not of small order), since the
   * library's own acceptance rules differ (ed25519.ts ed25519Verify).
   */
  ed25519Verify?: (this: void, publicKey: Bytes, message: Bytes, signature: Bytes) => boolean;
  /**
   * The table path of ed25519Verify whole, called after its checks of S and R:
   * true when [S]B - [k]A encodes as R (k = SHA-512(R || A || M) mod L), from the
   * base point's and the key's tables; undefined where it cannot take these tables,
   * and for anything ed25519-table.ts isTable refuses (16 subtables of 768 bytes or more).
   */
  ed25519VerifyTables?: (this: void, publicKey: Bytes, message: Bytes, signature: Bytes, base: Bytes[] | undefined, key: Bytes[] | undefined) => boolean | undefined;
  /** SHA-512 / SHA-256 of a Bytes value, as a new Bytes value of 64 / 32. */
  sha512?: (this: void, m: Bytes) => Bytes;
  sha256?: (this: void, m: Bytes) => Bytes;
  /** Strict UTF-8 (bytes.ts utf8Decode) whole: the runtime's string, or undefined when not valid UTF-8. */
  utf8Decode?: (this: void, b: Bytes) => string | undefined;
  /** bytes.ts equal: the same length and bytes, every byte read whatever differs (MACs are compared with it). */
  equalBytes?: (this: void, a: Bytes, b: Bytes) => boolean;
  /** dst[at, at + n) = src[from, from + n) (bytes.ts copyInto), where a loop over bytes is slow. */
  copyBytes?: (this: void, dst: Bytes, at: number, src: Bytes, from: number, n: number) => void;
  /** Base45 text (length not 1 mod 3, its output within the limit: base45.ts checks both first) as bytes, or the error: "BAD_CHAR" or "OVERFLOW", the first in the text. */
  base45Decode?: (this: void, text: string) => Bytes | string;
  /**
   * cbor.ts cborDecode on valid input: the same item tree, or undefined for any
   * input it does not take (the core's own decoder then decides, and names the error).
   */
  cborDecode?: (this: void, data: Bytes, maxDepth: number, maxItems: number) => CborItem | undefined;
  /** Bytes already checked to be valid UTF-8, as a string of the runtime's own form (where String.fromCharCode cannot make one). */
  utf8Text?: (this: void, b: Bytes) => string;
  /** The same bytes in less memory (b[i] and length as before; Lua: a write makes them a table again): for data kept long, as the tables. */
  compactBytes?: (this: void, b: Bytes) => Bytes;
  /** A byte string (a flash file as the runtime reads it) as compact Bytes: its length in RAM, not a table of numbers. */
  stringBytes?: (this: void, s: string) => Bytes;
  /** bytes.ts alloc where the runtime has no typed arrays: n zero bytes, in no more room than n (Lua: a table's array part sized once). */
  allocBytes?: (this: void, n: number) => Bytes;
  /** bytes.ts concat whole: a new value of the parts' bytes, which may be compact (Lua: a string, 1 byte a byte; a write makes it a table again). */
  concatBytes?: (this: void, parts: Bytes[]) => Bytes;
}

declare const PINDAI_NATIVES: Natives | undefined;

export const NATIVES: Natives = typeof PINDAI_NATIVES !== "undefined" && PINDAI_NATIVES !== undefined ? PINDAI_NATIVES : {};
