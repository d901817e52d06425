// The one place where a target hands the core native helpers: code its
// runtime runs faster than the portable TypeScript. A target defines the
// global PINDAI_NATIVES before the bundle's modules load (the Lua image starts
// with firmware/targets/lua/natives.lua); without it the core runs its
// portable path, which is what the conformance suite runs on every runtime.
import type { Bytes } from "./bytes";

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
}

export interface Natives {
  field?: FieldNatives;
  /** SHA-512 of a Bytes value, as a new Bytes value of 64. */
  sha512?: (this: void, m: Bytes) => Bytes;
  /** The same bytes, read-only, in less memory (b[i] and length as before): for data kept long, as the tables. */
  compactBytes?: (this: void, b: Bytes) => Bytes;
}

declare const PINDAI_NATIVES: Natives | undefined;

export const NATIVES: Natives = typeof PINDAI_NATIVES !== "undefined" && PINDAI_NATIVES !== undefined ? PINDAI_NATIVES : {};
