// Strict CBOR (RFC 8949) as SPEC section 1 profiles it. The decoder returns
// a typed error, never throws, never allocates by a length it has not checked
// against the bytes left, and bounds depth and item count.
//
// Items are a tagged tree (no Map, no null inside arrays, no reliance on
// object key order) so that the same code runs on Node, Espruino and Lua.
import { type Bytes, alloc, concat, slice, utf8Decode, utf8Encode } from "./bytes";
import { NATIVES } from "./natives";

/** Item kinds. */
export const CBOR = {
  UINT: 0,
  NEGINT: 1,
  BYTES: 2,
  TEXT: 3,
  ARRAY: 4,
  MAP: 5,
  TAG: 6,
  FALSE: 7,
  TRUE: 8,
  NULL: 9,
};

export interface CborItem {
  kind: number;
  /** UINT and NEGINT: the value (within the safe integer range). */
  int?: number;
  bytes?: Bytes;
  text?: string;
  /** ARRAY elements. */
  items?: CborItem[];
  /** MAP keys and values, in encoded order. */
  keys?: CborItem[];
  values?: CborItem[];
  /** TAG number and its content. */
  tag?: number;
  content?: CborItem;
  /** Offsets of the item's encoding in the input: [start, end). */
  start: number;
  end: number;
}

export type CborError =
  | "TRUNCATED" // a length or item runs past the end of the input
  | "TRAILING_BYTES"
  | "INDEFINITE_LENGTH"
  | "RESERVED_INFO" // additional information 28-30
  | "UNEXPECTED_BREAK" // 0xff outside an indefinite item
  | "NON_SHORTEST" // an integer or length not in its preferred (shortest) form
  | "UNSAFE_INTEGER" // outside -(2^53-1) .. 2^53-1
  | "UNSUPPORTED_TYPE" // floats, simple values other than false/true/null
  | "UNSUPPORTED_TAG" // any tag but 18 (COSE_Sign1)
  | "BAD_MAP_KEY" // map keys other than integers and text
  | "DUPLICATE_KEY"
  | "TOO_DEEP"
  | "BAD_UTF8"
  | "TOO_LARGE"; // more items than the decoder allows

export type CborResult = { ok: true; item: CborItem } | { ok: false; error: CborError; offset: number };

export interface CborLimits {
  maxDepth: number;
  maxItems: number;
}

export const DEFAULT_LIMITS: CborLimits = { maxDepth: 16, maxItems: 4096 };

export function isKind(item: CborItem, kind: number): boolean {
  return item.kind === kind;
}

/** The value of an integer or text key in a map item; undefined when absent or not a map. */
export function mapGet(map: CborItem, key: number | string): CborItem | undefined {
  if (map.kind !== CBOR.MAP || map.keys === undefined || map.values === undefined) return undefined;
  for (let i = 0; i < map.keys.length; i++) {
    const k = map.keys[i];
    if (typeof key === "number" ? (k.kind === CBOR.UINT || k.kind === CBOR.NEGINT) && k.int === key : k.kind === CBOR.TEXT && k.text === key) {
      return map.values[i];
    }
  }
  return undefined;
}

/** A text value under an integer key, or undefined (absent or another kind). */
export function mapText(map: CborItem, key: number): string | undefined {
  const v = mapGet(map, key);
  return v !== undefined && v.kind === CBOR.TEXT ? v.text : undefined;
}

/** An unsigned integer under an integer key, or undefined. */
export function mapUint(map: CborItem, key: number): number | undefined {
  const v = mapGet(map, key);
  return v !== undefined && v.kind === CBOR.UINT ? v.int : undefined;
}

/** A byte string under an integer key, or undefined. */
export function mapBytes(map: CborItem, key: number): Bytes | undefined {
  const v = mapGet(map, key);
  return v !== undefined && v.kind === CBOR.BYTES ? v.bytes : undefined;
}

// --- decoder -----------------------------------------------------------------

const TWO_32 = 4294967296;
// A target's decoder for the input it takes (Espruino's kernel); the rest is decoded here.
const NATIVE = NATIVES.cborDecode;
const MAX_SAFE = 9007199254740991; // 2^53 - 1

class Decoder {
  pos = 0;
  count = 0;
  error: CborError | undefined = undefined;
  errorAt = 0;

  constructor(
    readonly data: Bytes,
    readonly limits: CborLimits,
  ) {}

  fail(e: CborError, at: number): undefined {
    if (this.error === undefined) {
      this.error = e;
      this.errorAt = at;
    }
    return undefined;
  }

  failArg(e: CborError, at: number): number {
    this.fail(e, at);
    return -1;
  }

  /**
   * RFC 8949 3: the argument of a head with additional information `info`.
   * Returns -1 after recording an error. Values are exact up to 2^53 - 1.
   */
  argument(info: number, at: number): number {
    const d = this.data;
    if (info < 24) return info;
    if (info >= 28 && info <= 30) return this.failArg("RESERVED_INFO", at);
    if (info === 31) return this.failArg("INDEFINITE_LENGTH", at);
    const n = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : 8;
    if (this.pos + n > d.length) return this.failArg("TRUNCATED", at);
    let hi = 0;
    let v = 0;
    const p = this.pos;
    if (n === 8) {
      hi = ((d[p] * 256 + d[p + 1]) * 256 + d[p + 2]) * 256 + d[p + 3];
      v = ((d[p + 4] * 256 + d[p + 5]) * 256 + d[p + 6]) * 256 + d[p + 7];
    } else {
      for (let i = 0; i < n; i++) v = v * 256 + d[p + i];
    }
    this.pos += n;
    // Preferred serialization (RFC 8949 4.2.1): the shortest form that holds the value.
    const min = info === 24 ? 24 : info === 25 ? 256 : info === 26 ? 65536 : TWO_32;
    if (hi === 0 && v < min) return this.failArg("NON_SHORTEST", at);
    if (hi >= 2097152) return this.failArg("UNSAFE_INTEGER", at); // hi * 2^32 >= 2^53
    return hi * TWO_32 + v;
  }

  item(depth: number): CborItem | undefined {
    const d = this.data;
    const start = this.pos;
    if (depth > this.limits.maxDepth) return this.fail("TOO_DEEP", start);
    if (++this.count > this.limits.maxItems) return this.fail("TOO_LARGE", start);
    if (this.pos >= d.length) return this.fail("TRUNCATED", start);
    const ib = d[this.pos++];
    const major = ib >>> 5;
    const info = ib & 31;
    if (ib === 0xff) return this.fail("UNEXPECTED_BREAK", start);
    if (major === 7) {
      // Simple values and floats (RFC 8949 3.3): only false, true, null.
      if (info === 20) return { kind: CBOR.FALSE, start, end: this.pos };
      if (info === 21) return { kind: CBOR.TRUE, start, end: this.pos };
      if (info === 22) return { kind: CBOR.NULL, start, end: this.pos };
      if (info >= 28 && info <= 30) return this.fail("RESERVED_INFO", start);
      return this.fail("UNSUPPORTED_TYPE", start);
    }
    const arg = this.argument(info, start);
    if (arg < 0) return undefined;
    switch (major) {
      case 0:
        if (arg > MAX_SAFE) return this.fail("UNSAFE_INTEGER", start);
        return { kind: CBOR.UINT, int: arg, start, end: this.pos };
      case 1:
        // -1 - arg must stay >= -(2^53 - 1)
        if (arg > MAX_SAFE - 1) return this.fail("UNSAFE_INTEGER", start);
        return { kind: CBOR.NEGINT, int: -1 - arg, start, end: this.pos };
      case 2:
      case 3: {
        if (arg > d.length - this.pos) return this.fail("TRUNCATED", start);
        const b = slice(d, this.pos, this.pos + arg);
        this.pos += arg;
        if (major === 2) return { kind: CBOR.BYTES, bytes: b, start, end: this.pos };
        const text = utf8Decode(b);
        if (text === undefined) return this.fail("BAD_UTF8", start);
        return { kind: CBOR.TEXT, text, start, end: this.pos };
      }
      case 4: {
        // Each element takes at least one byte: a count above the bytes left is a lie.
        if (arg > d.length - this.pos) return this.fail("TRUNCATED", start);
        const items: CborItem[] = [];
        for (let i = 0; i < arg; i++) {
          const it = this.item(depth + 1);
          if (it === undefined) return undefined;
          items.push(it);
        }
        return { kind: CBOR.ARRAY, items, start, end: this.pos };
      }
      case 5: {
        if (arg > Math.floor((d.length - this.pos) / 2)) return this.fail("TRUNCATED", start);
        const keys: CborItem[] = [];
        const values: CborItem[] = [];
        for (let i = 0; i < arg; i++) {
          const k = this.item(depth + 1);
          if (k === undefined) return undefined;
          if (k.kind !== CBOR.UINT && k.kind !== CBOR.NEGINT && k.kind !== CBOR.TEXT) return this.fail("BAD_MAP_KEY", k.start);
          for (let j = 0; j < keys.length; j++) {
            const o = keys[j];
            const same = k.kind === CBOR.TEXT ? o.kind === CBOR.TEXT && o.text === k.text : o.kind === k.kind && o.int === k.int;
            if (same) return this.fail("DUPLICATE_KEY", k.start);
          }
          const v = this.item(depth + 1);
          if (v === undefined) return undefined;
          keys.push(k);
          values.push(v);
        }
        return { kind: CBOR.MAP, keys, values, start, end: this.pos };
      }
      default: {
        // major 6: tags. Only 18 (COSE_Sign1, RFC 9052 2).
        if (arg !== 18) return this.fail("UNSUPPORTED_TAG", start);
        const content = this.item(depth + 1);
        if (content === undefined) return undefined;
        return { kind: CBOR.TAG, tag: arg, content, start, end: this.pos };
      }
    }
  }
}

/** Decode exactly one item that fills `data`. */
export function cborDecode(data: Bytes, limits?: CborLimits): CborResult {
  const lim = limits === undefined ? DEFAULT_LIMITS : limits;
  if (NATIVE !== undefined) {
    const fast = NATIVE(data, lim.maxDepth, lim.maxItems);
    if (fast !== undefined) return { ok: true, item: fast };
  }
  const dec = new Decoder(data, lim);
  const item = dec.item(1);
  if (item === undefined) return { ok: false, error: dec.error === undefined ? "TRUNCATED" : dec.error, offset: dec.errorAt };
  if (dec.pos !== data.length) return { ok: false, error: "TRAILING_BYTES", offset: dec.pos };
  return { ok: true, item };
}

// --- encoder (what a device builds itself: the COSE Sig_structure) ----------

/** A head in its shortest form (RFC 8949 4.2.1); n below 2^53. */
export function encodeHead(major: number, n: number): Bytes {
  const size = n < 24 ? 0 : n < 256 ? 1 : n < 65536 ? 2 : n < TWO_32 ? 4 : 8;
  const out = alloc(1 + size);
  out[0] = major * 32 + (size === 0 ? n : size === 1 ? 24 : size === 2 ? 25 : size === 4 ? 26 : 27);
  // Big-endian argument; above 2^32 the high word goes first (no 64-bit ints here).
  let lo = size === 8 ? n % TWO_32 : n;
  let hi = size === 8 ? Math.floor(n / TWO_32) : 0;
  const loBytes = size === 8 ? 4 : size;
  for (let i = size; i > size - loBytes; i--) {
    out[i] = lo % 256;
    lo = Math.floor(lo / 256);
  }
  for (let i = 4; i >= 1 && size === 8; i--) {
    out[i] = hi % 256;
    hi = Math.floor(hi / 256);
  }
  return out;
}

export function encodeBytes(b: Bytes): Bytes {
  return concat([encodeHead(2, b.length), b]);
}

export function encodeText(s: string): Bytes {
  const b = utf8Encode(s);
  return concat([encodeHead(3, b.length), b]);
}

/** Integers within the safe range. */
export function encodeInt(n: number): Bytes {
  return n >= 0 ? encodeHead(0, n) : encodeHead(1, -1 - n);
}
