// Text from a credential (name, issuer, card serial), made safe to show. A
// signed field is still the issuer's text, not ours: a newline, an ANSI
// escape or a right-to-left override in it would add lines to the screen or
// reorder what the guard reads. So every control, bidi and zero-width
// character is dropped, and the text is cut to a number of characters, never
// inside one (a cut UTF-8 sequence or surrogate pair draws as garbage).
import { alloc, utf8Decode, utf8Encode } from "../core/bytes";

/** Code points never shown (Unicode 15: Cc, bidi controls, zero-width and separators). */
function hidden(cp: number): boolean {
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return true; // C0, DEL, C1 (ESC starts ANSI sequences)
  if (cp === 0xad || cp === 0x61c || cp === 0x180e) return true; // soft hyphen, Arabic letter mark, Mongolian vowel separator
  if (cp >= 0x200b && cp <= 0x200f) return true; // zero-width space/non-joiner/joiner, LRM, RLM
  if (cp >= 0x2028 && cp <= 0x202e) return true; // line/paragraph separators, LRE RLE PDF LRO RLO
  if (cp >= 0x2060 && cp <= 0x206f) return true; // word joiner, invisible operators, LRI RLI FSI PDI, deprecated format
  if (cp >= 0xd800 && cp <= 0xdfff) return true; // a lone surrogate (JS strings only)
  return cp === 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb); // BOM / zero-width no-break space, interlinear annotations
}

/** At most maxChars visible characters of s, in the runtime's own string form. */
export function displayText(s: string, maxChars: number): string {
  const b = utf8Encode(s);
  const keep: number[] = [];
  let chars = 0;
  let i = 0;
  while (i < b.length && chars < maxChars) {
    const c = b[i];
    // Length of this UTF-8 sequence; utf8Encode and the CBOR decoder give well-formed text.
    const n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (i + n > b.length) break;
    let cp = n === 1 ? c : n === 2 ? c & 0x1f : n === 3 ? c & 0x0f : c & 0x07;
    for (let k = 1; k < n; k++) cp = cp * 64 + (b[i + k] & 0x3f);
    if (!hidden(cp)) {
      for (let k = 0; k < n; k++) keep.push(b[i + k]);
      chars++;
    }
    i += n;
  }
  const out = alloc(keep.length);
  for (let k = 0; k < keep.length; k++) out[k] = keep[k];
  const text = utf8Decode(out);
  return text === undefined ? "" : text;
}
