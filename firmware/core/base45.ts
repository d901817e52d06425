// Base45 (RFC 9285): the QR-alphanumeric-friendly encoding of the PD1: text.
// Two bytes become three characters c0 + c1*45 + c2*45^2 (= a*256 + b), a
// last single byte two characters. Decoding is strict: only the 45-character
// alphabet, no length = 1 (mod 3), no group above 65535 (or 255 at the end).
import { type Bytes, alloc } from "./bytes";
import { NATIVES } from "./natives";

const NATIVE = NATIVES.base45Decode;

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

export type Base45Error = "BAD_CHAR" | "BAD_LENGTH" | "OVERFLOW" | "TOO_LONG";
export type Base45Result = { ok: true; bytes: Bytes } | { ok: false; error: Base45Error };

/** Default output limit: far above any QR code (a version 40 code holds 2,863 bytes this way). */
export const BASE45_MAX_BYTES = 4096;

function value(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 65 && c <= 90) return c - 55; // A-Z
  if (c === 32) return 36; // space
  if (c === 36) return 37; // $
  if (c === 37) return 38; // %
  if (c === 42) return 39; // *
  if (c === 43) return 40; // +
  if (c === 45) return 41; // -
  if (c === 46) return 42; // .
  if (c === 47) return 43; // /
  if (c === 58) return 44; // :
  return -1;
}

export function base45Decode(text: string, maxBytes?: number): Base45Result {
  const limit = maxBytes === undefined ? BASE45_MAX_BYTES : maxBytes;
  const n = text.length;
  if (n % 3 === 1) return { ok: false, error: "BAD_LENGTH" };
  const outLen = Math.floor(n / 3) * 2 + (n % 3 === 2 ? 1 : 0);
  if (outLen > limit) return { ok: false, error: "TOO_LONG" }; // checked before allocating
  if (NATIVE !== undefined) {
    const r = NATIVE(text);
    return typeof r === "string" ? { ok: false, error: r as Base45Error } : { ok: true, bytes: r };
  }
  const out = alloc(outLen);
  let o = 0;
  for (let i = 0; i < n; i += 3) {
    const c0 = value(text.charCodeAt(i));
    const c1 = value(text.charCodeAt(i + 1));
    if (c0 < 0 || c1 < 0) return { ok: false, error: "BAD_CHAR" };
    if (i + 2 < n) {
      const c2 = value(text.charCodeAt(i + 2));
      if (c2 < 0) return { ok: false, error: "BAD_CHAR" };
      const v = c0 + c1 * 45 + c2 * 2025;
      if (v > 65535) return { ok: false, error: "OVERFLOW" };
      out[o] = Math.floor(v / 256);
      out[o + 1] = v % 256;
      o += 2;
    } else {
      const v = c0 + c1 * 45;
      if (v > 255) return { ok: false, error: "OVERFLOW" };
      out[o] = v;
      o += 1;
    }
  }
  return { ok: true, bytes: out };
}

export function base45Encode(b: Bytes): string {
  let s = "";
  for (let i = 0; i + 1 < b.length; i += 2) {
    let v = b[i] * 256 + b[i + 1];
    const c0 = v % 45;
    v = Math.floor(v / 45);
    s += ALPHABET.charAt(c0) + ALPHABET.charAt(v % 45) + ALPHABET.charAt(Math.floor(v / 45));
  }
  if (b.length % 2 === 1) {
    const v = b[b.length - 1];
    s += ALPHABET.charAt(v % 45) + ALPHABET.charAt(Math.floor(v / 45));
  }
  return s;
}
