// Byte buffers that work on Node, Espruino and Lua.
//
// `Bytes` is a Uint8Array on the JS runtimes (one byte per element on
// Espruino, where a plain array costs a 13-16 byte variable per element).
// Lua has no typed arrays: there `alloc` returns a table with a `length` field
// and 0-based integer keys, which is exactly what typescript-to-lua emits for
// `b[i]` and `b.length` on a Uint8Array-typed value.
//
// Rules for firmware code (see firmware/PORTABLE.md):
// - allocate only through `alloc` / `slice` / `concat` here;
// - use only `b[i]` and `b.length` on a Bytes value, never its methods;
// - store only integers 0..255 (Lua tables do not clamp or wrap).

import { NATIVES } from "./natives";

export type Bytes = Uint8Array;

// A table standing in for Uint8Array on Lua.
interface LuaBytes {
  length: number;
  [i: number]: number;
}

const HAS_TYPED_ARRAYS = typeof Uint8Array !== "undefined";
const ALLOC = NATIVES.allocBytes;
const CONCAT = NATIVES.concatBytes;

export function alloc(n: number): Bytes {
  if (HAS_TYPED_ARRAYS) return new Uint8Array(n);
  if (ALLOC !== undefined) return ALLOC(n);
  const t: LuaBytes = { length: n };
  for (let i = 0; i < n; i++) t[i] = 0;
  return t as unknown as Bytes;
}

// Where a loop over bytes is slow (Espruino interprets it), the target copies.
const COPY = NATIVES.copyBytes;
const EQUAL = NATIVES.equalBytes;

/** Copy of b[start, end): never a view, so no runtime aliases memory. */
export function slice(b: Bytes, start: number, end: number): Bytes {
  if (end > b.length) end = b.length;
  if (start > end) start = end;
  const out = alloc(end - start);
  copyInto(out, 0, b, start, end - start);
  return out;
}

/** dst[dstOff ...] = src[srcOff, srcOff + n) */
export function copyInto(dst: Bytes, dstOff: number, src: Bytes, srcOff: number, n: number): void {
  if (COPY !== undefined) {
    COPY(dst, dstOff, src, srcOff, n);
    return;
  }
  for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i];
}

export function concat(parts: Bytes[]): Bytes {
  if (CONCAT !== undefined) return CONCAT(parts);
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i].length;
  const out = alloc(n);
  let off = 0;
  for (let i = 0; i < parts.length; i++) {
    copyInto(out, off, parts[i], 0, parts[i].length);
    off += parts[i].length;
  }
  return out;
}

/** `old` (or nothing) with `data` written at `offset`, grown as needed: a file after a write. */
export function overlay(old: Bytes | undefined, data: Bytes, offset: number): Bytes {
  const oldLen = old === undefined ? 0 : old.length;
  const out = alloc(oldLen > offset + data.length ? oldLen : offset + data.length);
  if (old !== undefined) copyInto(out, 0, old, 0, oldLen);
  copyInto(out, offset, data, 0, data.length);
  return out;
}

/** Constant-time for equal lengths (no early exit on the first difference). */
export function equal(a: Bytes, b: Bytes): boolean {
  if (EQUAL !== undefined) return EQUAL(a, b);
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

const HEX = "0123456789abcdef";

export function toHex(b: Bytes): string {
  let s = "";
  for (let i = 0; i < b.length; i++) {
    const v = b[i];
    s += HEX.charAt(v >>> 4) + HEX.charAt(v & 15);
  }
  return s;
}

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/**
 * Hex text to bytes; undefined for odd length or a non-hex character. With
 * `start` and `end`, only s[start..end) is read: a long line's hex field
 * decoded in place (on Espruino a substring is a second copy in RAM).
 */
export function fromHex(s: string, start?: number, end?: number): Bytes | undefined {
  const from = start === undefined ? 0 : start;
  const to = end === undefined ? s.length : end;
  if (from < 0 || to > s.length || to < from || (to - from) % 2 !== 0) return undefined;
  const out = alloc(Math.floor((to - from) / 2)); // `/` is a float on Lua
  for (let i = 0; i < out.length; i++) {
    const hi = hexNibble(s.charCodeAt(from + 2 * i));
    const lo = hexNibble(s.charCodeAt(from + 2 * i + 1));
    if (hi < 0 || lo < 0) return undefined;
    out[i] = hi * 16 + lo;
  }
  return out;
}

/** Bytes of an ASCII string (characters above 127 are not expected here). */
export function fromAscii(s: string): Bytes {
  const out = alloc(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 255;
  return out;
}

/** ASCII bytes to a string; the caller has checked they are below 128. */
export function toAscii(b: Bytes): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

// On Lua, strings are byte strings and "\u00e9" is two bytes long; on the JS
// runtimes it is one UTF-16 unit. Text is decoded to the runtime's own form.
const STRINGS_ARE_BYTES = "\u00e9".length === 2;
// Where String.fromCharCode cannot make the runtime's string (Espruino keeps
// only the low 8 bits of a code point), the target's decoder makes it.
const UTF8_TEXT = NATIVES.utf8Text;
const UTF8_DECODE = NATIVES.utf8Decode;

/**
 * Strict UTF-8 (RFC 3629) to a string; undefined when not valid UTF-8
 * (overlong forms, surrogates, code points above U+10FFFF, truncation).
 */
export function utf8Decode(b: Bytes): string | undefined {
  if (UTF8_DECODE !== undefined) return UTF8_DECODE(b);
  let s = "";
  let i = 0;
  let ascii = true;
  while (i < b.length) {
    const c = b[i];
    let cp: number;
    let n: number;
    if (c < 0x80) {
      cp = c;
      n = 0;
    } else if (c >= 0xc2 && c <= 0xdf) {
      cp = c & 0x1f;
      n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      cp = c & 0x0f;
      n = 2;
    } else if (c >= 0xf0 && c <= 0xf4) {
      cp = c & 0x07;
      n = 3;
    } else {
      return undefined;
    }
    if (i + n >= b.length) return undefined; // truncated sequence
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k];
      if ((cc & 0xc0) !== 0x80) return undefined;
      cp = cp * 64 + (cc & 0x3f);
    }
    // Overlong 3/4-byte forms, UTF-16 surrogates, and beyond U+10FFFF.
    if (n === 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return undefined;
    if (n === 3 && (cp < 0x10000 || cp > 0x10ffff)) return undefined;
    if (n > 0) ascii = false;
    if (STRINGS_ARE_BYTES) {
      for (let k = 0; k <= n; k++) s += String.fromCharCode(b[i + k]);
    } else if (cp < 0x10000) {
      s += String.fromCharCode(cp);
    } else {
      const v = cp - 0x10000;
      s += String.fromCharCode(0xd800 + Math.floor(v / 1024));
      s += String.fromCharCode(0xdc00 + (v & 1023));
    }
    i += n + 1;
  }
  if (!ascii && UTF8_TEXT !== undefined) return UTF8_TEXT(b); // valid UTF-8, checked above
  return s;
}

/** A string of the runtime's own form to UTF-8 bytes (for hashing and logs). */
export function utf8Encode(s: string): Bytes {
  if (STRINGS_ARE_BYTES) return fromAscii(s); // already UTF-8 bytes
  const tmp: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + (cp - 0xd800) * 1024 + (lo - 0xdc00);
        i++;
      }
    }
    if (cp < 0x80) tmp.push(cp);
    else if (cp < 0x800) tmp.push(0xc0 | (cp >>> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) tmp.push(0xe0 | (cp >>> 12), 0x80 | ((cp >>> 6) & 63), 0x80 | (cp & 63));
    else tmp.push(0xf0 | (cp >>> 18), 0x80 | ((cp >>> 12) & 63), 0x80 | ((cp >>> 6) & 63), 0x80 | (cp & 63));
  }
  const out = alloc(tmp.length);
  for (let i = 0; i < tmp.length; i++) out[i] = tmp[i];
  return out;
}

/** Characters (code points) in a string of the runtime's own form. */
export function charCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // Count lead bytes on Lua, and everything but low surrogates on JS.
    if (STRINGS_ARE_BYTES ? (c & 0xc0) !== 0x80 : c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

/** Bytes from a list of numbers 0..255 (for constants: command headers, frames). */
export function bytesOf(list: number[]): Bytes {
  const b = alloc(list.length);
  for (let i = 0; i < list.length; i++) b[i] = list[i];
  return b;
}
