// A structure-aware mutation for the CBOR-based targets: replace one whole
// item of a well-formed input with another (from the input itself, or a small
// fresh one), so the result is still well-formed CBOR and the fuzzer spends
// its runs on what the parsers above CBOR check (claims, key entries,
// headers) instead of on broken lengths. The firmware decoder gives each
// item's offsets; fuzz/targets.ts re-encodes.
import { type CborItem, CBOR, cborDecode } from "../firmware/core/cbor";
import { encodeHead, encodeText } from "../firmware/core/cbor";

function items(it: CborItem, out: CborItem[]): void {
  out.push(it);
  for (const c of it.items ?? []) items(c, out);
  for (const k of it.keys ?? []) items(k, out);
  for (const v of it.values ?? []) items(v, out);
  if (it.content) items(it.content, out);
}

const DIGITS = "0123456789";

/** A small item of any kind the profile allows, or one a claim might expect. */
function freshItem(rand: (n: number) => number): Uint8Array {
  switch (rand(9)) {
    case 0: return encodeHead(0, [0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32, 2 ** 53 - 1][rand(10)]);
    case 1: return encodeHead(1, [0, 1, 23, 24, 255, 65535, 65536, 2 ** 32][rand(8)]);
    case 2: {
      const n = [0, 7, 8, 16, 17, 31, 32, 33, 64][rand(9)];
      return Buffer.concat([encodeHead(2, n), Uint8Array.from({ length: n }, () => rand(256))]);
    }
    case 3: return encodeText(Array.from({ length: rand(20) }, () => DIGITS[rand(10)]).join(""));
    case 4: return encodeText(["L", "P", "X", "", "2000-02-29", "1999-02-29", "1990-13-01", "1990-00-10", "1990-04-31"][rand(9)]);
    case 5: return Uint8Array.of(0x80); // []
    case 6: return Uint8Array.of(0xa0); // {}
    case 7: return Uint8Array.of([0xf4, 0xf5, 0xf6][rand(3)]);
    default: return Buffer.concat([encodeHead(6, [18, 2, 24][rand(3)]), encodeHead(0, rand(24))]); // a tag the profile refuses but 18
  }
}

/** One item of `d` replaced; undefined when `d` is not one well-formed CBOR item. */
export function mutateCbor(d: Uint8Array, rand: (n: number) => number): Uint8Array | undefined {
  const r = cborDecode(d);
  if (!r.ok) return undefined;
  const all: CborItem[] = [];
  items(r.item, all);
  const victim = all[rand(all.length)];
  let repl: Uint8Array;
  const how = rand(4);
  if (how === 0) {
    const other = all[rand(all.length)];
    repl = d.slice(other.start, other.end); // another item of the same input (it may contain the victim: fine)
  } else if (how === 1 && victim.kind === CBOR.TEXT && victim.text!.length > 0) {
    const t = Array.from(victim.text!);
    t[rand(t.length)] = rand(2) ? DIGITS[rand(10)] : String.fromCharCode(32 + rand(95));
    repl = encodeText(t.join(""));
  } else if (how === 2 && (victim.kind === CBOR.ARRAY || victim.kind === CBOR.MAP) && rand(2) === 0) {
    // drop one element (or key/value pair) of a container
    const n = victim.kind === CBOR.ARRAY ? victim.items!.length : victim.keys!.length;
    if (n === 0) return undefined;
    const k = rand(n);
    const parts: Uint8Array[] = [encodeHead(victim.kind === CBOR.ARRAY ? 4 : 5, n - 1)];
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      if (victim.kind === CBOR.ARRAY) parts.push(d.slice(victim.items![i].start, victim.items![i].end));
      else parts.push(d.slice(victim.keys![i].start, victim.keys![i].end), d.slice(victim.values![i].start, victim.values![i].end));
    }
    repl = Buffer.concat(parts);
  } else {
    repl = freshItem(rand);
  }
  return Buffer.concat([d.subarray(0, victim.start), repl, d.subarray(victim.end)]);
}
