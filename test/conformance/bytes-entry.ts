// Entry compiled to Lua by test/bytes.test.ts: bytes helpers, string in/out.
import { alloc, concat, equal, fromHex, slice, toHex, utf8Decode, utf8Encode } from "../../firmware/core/bytes";
import { sha512 } from "../../firmware/core/sha512";
import { sha256 } from "../../firmware/core/sha256";

export function roundTrip(hex: string): string {
  const b = fromHex(hex);
  if (b === undefined) return "invalid";
  return toHex(concat([slice(b, 1, b.length), slice(b, 0, 1)])) + ":" + b.length;
}

export function utf8(hex: string): string {
  const b = fromHex(hex);
  if (b === undefined) return "invalid";
  const s = utf8Decode(b);
  return s === undefined ? "bad" : toHex(utf8Encode(s));
}

export function allocZero(n: string): string {
  const b = alloc(Math.floor(Number(n)));
  // Nothing past the end (Lua: no key n), and written at both ends like any buffer.
  const past = (b as unknown as Record<number, number | undefined>)[b.length] === undefined ? "" : ":past";
  if (b.length > 0) (b[0] = 1), (b[b.length - 1] = 2);
  return toHex(b) + (equal(b, alloc(b.length)) ? ":eq" : ":ne") + past;
}

/** fromHex of s[start..end) (a line's field decoded in place), "from,to" as numbers. */
export function hexRange(s: string, range: string): string {
  const [a, b] = range.split(",");
  const r = fromHex(s, Math.floor(Number(a)), Math.floor(Number(b)));
  return r === undefined ? "invalid" : toHex(r) + ":" + r.length;
}

/** Two parts of a and b bytes concatenated, then hashed (the Lua natives read a compact result's string, block by block) and written to (after which it reads as written). */
export function concatHashWrite(sizes: string): string {
  const [na, nb] = sizes.split(",").map((x) => Math.floor(Number(x)));
  const a = alloc(na);
  const b = alloc(nb);
  for (let i = 0; i < na; i++) a[i] = (i * 31 + 7) % 256;
  for (let i = 0; i < nb; i++) b[i] = (i * 17 + 3) % 256;
  const c = concat([a, slice(b, 0, nb), concat([])]);
  const before = toHex(sha512(c)) + ":" + toHex(sha256(c));
  if (c.length > 0) c[c.length - 1] = 255 - c[c.length - 1];
  const again = concat([c]);
  return before + ":" + c.length + ":" + toHex(sha512(c)) + ":" + toHex(sha256(again)) + ":" + (equal(c, again) ? "eq" : "ne");
}
