// Strict CBOR (SPEC section 1): RFC 8949 Appendix A, one hand-made input per
// rule, cross-checks with cbor-x, and a fuzz that never throws.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Encoder, decode as cborxDecode } from "cbor-x";
import { CBOR, cborDecode, encodeBytes, encodeInt, encodeText, type CborItem } from "../firmware/core/cbor";
import { concat } from "../firmware/core/bytes";
import { sigStructure } from "../firmware/core/cose";

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s/g, ""), "hex"));
const err = (s: string) => {
  const r = cborDecode(hex(s));
  return r.ok ? "ok" : r.error;
};

/** CborItem -> plain JS value, as Appendix A's "decoded" writes it. */
function plain(i: CborItem): unknown {
  switch (i.kind) {
    case CBOR.UINT:
    case CBOR.NEGINT:
      return i.int;
    case CBOR.TEXT:
      return i.text;
    case CBOR.BYTES:
      return "h'" + Buffer.from(i.bytes!).toString("hex") + "'";
    case CBOR.ARRAY:
      return i.items!.map(plain);
    case CBOR.MAP: {
      const o: Record<string, unknown> = {};
      i.keys!.forEach((k, n) => (o[String(plain(k))] = plain(i.values![n])));
      return o;
    }
    case CBOR.TRUE:
      return true;
    case CBOR.FALSE:
      return false;
    case CBOR.NULL:
      return null;
    case CBOR.TAG:
      return { tag: i.tag, content: plain(i.content!) };
  }
  throw new Error("unknown kind " + i.kind);
}

/** RFC 8949 8: diagnostic notation, for the examples JSON cannot hold (integer map keys, bytes). */
function diagnostic(i: CborItem): string {
  switch (i.kind) {
    case CBOR.BYTES:
      return "h'" + Buffer.from(i.bytes!).toString("hex") + "'";
    case CBOR.TEXT:
      return JSON.stringify(i.text);
    case CBOR.ARRAY:
      return "[" + i.items!.map(diagnostic).join(", ") + "]";
    case CBOR.MAP:
      return "{" + i.keys!.map((k, n) => diagnostic(k) + ": " + diagnostic(i.values![n])).join(", ") + "}";
    default:
      return String(plain(i));
  }
}

interface Vector {
  hex: string;
  decoded?: unknown;
  diagnostic?: string;
}

/** Why the strict profile refuses an Appendix A item; undefined when it accepts it. */
function expectedError(v: Vector & { roundtrip: boolean }): string | undefined {
  const ib = parseInt(v.hex.slice(0, 2), 16);
  const major = ib >> 5;
  if (major === 7) return [0xf4, 0xf5, 0xf6].includes(ib) ? undefined : "UNSUPPORTED_TYPE"; // floats, undefined, simple(n)
  if (!v.roundtrip) return "INDEFINITE_LENGTH"; // the other non-round-trip examples are all indefinite-length
  if (major === 6) return "UNSUPPORTED_TAG"; // bignums, dates, URIs, ...
  if (typeof v.decoded === "number" && !Number.isSafeInteger(v.decoded)) return "UNSAFE_INTEGER";
  return undefined;
}

describe("RFC 8949 Appendix A", () => {
  const vectors: Array<Vector & { roundtrip: boolean }> = JSON.parse(readFileSync(new URL("./vectors/cbor_appendix_a.json", import.meta.url), "utf8"));

  it("has all 82 examples", () => expect(vectors).toHaveLength(82));

  it("decodes each supported item to its value and rejects the rest with the right error", () => {
    let accepted = 0;
    const refused: Record<string, number> = {};
    for (const v of vectors) {
      const r = cborDecode(hex(v.hex));
      const want = expectedError(v);
      if (want !== undefined) {
        expect(r.ok ? "ok" : r.error, v.hex).toBe(want);
        refused[want] = (refused[want] ?? 0) + 1;
        continue;
      }
      expect(r.ok, v.hex).toBe(true);
      if (!r.ok) continue;
      accepted++;
      if (v.decoded !== undefined) expect(plain(r.item), v.hex).toEqual(v.decoded);
      else expect(diagnostic(r.item), v.hex).toBe(v.diagnostic);
    }
    expect(accepted).toBe(35);
    // 22 floats + undefined + 3 simple values; 8 tags (bignums, dates, URIs...); 11 indefinite items.
    expect(refused).toEqual({ UNSAFE_INTEGER: 2, UNSUPPORTED_TAG: 8, UNSUPPORTED_TYPE: 26, INDEFINITE_LENGTH: 11 });
  });
});

describe("SPEC section 1, one rule at a time", () => {
  const cases: Array<[string, string, string]> = [
    ["indefinite byte string", "5f4101ff", "INDEFINITE_LENGTH"],
    ["indefinite array", "9f01ff", "INDEFINITE_LENGTH"],
    ["indefinite map", "bf0101ff", "INDEFINITE_LENGTH"],
    ["indefinite length on an integer", "1f", "INDEFINITE_LENGTH"],
    ["reserved additional info 28", "1c", "RESERVED_INFO"],
    ["reserved additional info 29", "5d", "RESERVED_INFO"],
    ["reserved additional info 30", "9e", "RESERVED_INFO"],
    ["stray break", "ff", "UNEXPECTED_BREAK"],
    ["break inside an array", "8201ff", "UNEXPECTED_BREAK"],
    ["uint 10 in one extra byte", "180a", "NON_SHORTEST"],
    ["uint 255 in two bytes", "1900ff", "NON_SHORTEST"],
    ["uint 65535 in four bytes", "1a0000ffff", "NON_SHORTEST"],
    ["uint 2^32-1 in eight bytes", "1b00000000ffffffff", "NON_SHORTEST"],
    ["negative in a long form", "3800", "NON_SHORTEST"],
    ["byte string length in a long form", "580101", "NON_SHORTEST"],
    ["array length in a long form", "980101", "NON_SHORTEST"],
    ["duplicate integer keys", "a2010101 02", "DUPLICATE_KEY"],
    ["duplicate text keys", "a261610161610 2".replace(" ", ""), "DUPLICATE_KEY"],
    ["byte-string key", "a1410101", "BAD_MAP_KEY"],
    ["array key", "a1800101", "BAD_MAP_KEY"],
    ["boolean key", "a1f501", "BAD_MAP_KEY"],
    ["trailing byte", "0000", "TRAILING_BYTES"],
    ["trailing byte after a map", "a0 00", "TRAILING_BYTES"],
    ["length beyond the input", "5a00010000 00", "TRUNCATED"],
    ["array count beyond the input", "9a000fffff 00", "TRUNCATED"],
    ["map count beyond the input", "ba7fffffff 00", "TRUNCATED"],
    ["truncated head", "19 01", "TRUNCATED"],
    ["empty input", "", "TRUNCATED"],
    ["2^53 as uint", "1b0020000000000000", "UNSAFE_INTEGER"],
    ["-(2^53) as negint", "3b001fffffffffffff", "UNSAFE_INTEGER"],
    ["2^64-1", "1bffffffffffffffff", "UNSAFE_INTEGER"],
    ["invalid UTF-8", "62c328", "BAD_UTF8"],
    ["overlong UTF-8", "62c0af", "BAD_UTF8"],
    ["UTF-16 surrogate in UTF-8", "63eda080", "BAD_UTF8"],
    ["half float", "f93c00", "UNSUPPORTED_TYPE"],
    ["double", "fb3ff199999999999a", "UNSUPPORTED_TYPE"],
    ["undefined", "f7", "UNSUPPORTED_TYPE"],
    ["simple(16)", "f0", "UNSUPPORTED_TYPE"],
    ["tag 1", "c11a514b67b0", "UNSUPPORTED_TAG"],
    ["tag 64 on bytes (cbor-x's default)", "d8404100", "UNSUPPORTED_TAG"],
    ["tag 18 as a long form", "d81284", "NON_SHORTEST"],
  ];
  for (const [what, h, want] of cases) {
    it(`${what} -> ${want}`, () => expect(err(h.replace(/\s/g, ""))).toBe(want));
  }

  it("limits: 2^53-1 and -(2^53-1) are accepted", () => {
    const a = cborDecode(hex("1b001fffffffffffff"));
    const b = cborDecode(hex("3b001ffffffffffffe"));
    expect(a.ok && a.item.int).toBe(9007199254740991);
    expect(b.ok && b.item.int).toBe(-9007199254740991);
  });

  it("nesting: 16 levels accepted, 17 rejected", () => {
    expect(err("81".repeat(15) + "00")).toBe("ok");
    expect(err("81".repeat(16) + "00")).toBe("TOO_DEEP");
  });

  it("item count is bounded", () => {
    const many = "99 1000".replace(" ", "") + "00".repeat(4096);
    expect(err(many)).toBe("TOO_LARGE");
  });

  it("tag 18 (COSE_Sign1) is the one tag accepted", () => {
    const r = cborDecode(hex("d2 84 40 a0 40 40".replace(/ /g, "")));
    expect(r.ok && r.item.kind === CBOR.TAG && r.item.tag === 18).toBe(true);
  });

  it("a huge claimed length is refused at once, without allocating", () => {
    const t = performance.now();
    expect(err("5b7fffffffffffffff")).toBe("UNSAFE_INTEGER");
    expect(err("5b001fffffffffffff")).toBe("TRUNCATED");
    expect(err("9b001fffffffffffff")).toBe("TRUNCATED");
    expect(performance.now() - t).toBeLessThan(1000);
  });
});

describe("against cbor-x", () => {
  const enc = new Encoder({ tagUint8Array: false, useRecords: false, mapsAsObjects: false, variableMapSize: true });

  it("valid strict items decode to what cbor-x decodes", () => {
    const values: unknown[] = [
      0, 23, 24, 255, 256, 65535, 65536, 4294967295, -1, -24, -25, -256, -65537,
      "", "hello", "Siti Aminah \u00e9\u00fc\u6c34", [], [1, [2, [3]]], new Map<number, unknown>([[1, "a"], [-65537, new Map([[2, true]])]]),
      new Uint8Array([1, 2, 3]), null, true, false,
    ];
    for (const v of values) {
      const bytes = new Uint8Array(enc.encode(v));
      const r = cborDecode(bytes);
      expect(r.ok, String(v)).toBe(true);
      if (!r.ok) continue;
      const viaCborx = cborxDecode(bytes);
      const norm = (x: unknown): unknown =>
        x instanceof Map ? Object.fromEntries([...x].map(([k, y]) => [String(k), norm(y)]))
        : x instanceof Uint8Array ? "h'" + Buffer.from(x).toString("hex") + "'"
        : Array.isArray(x) ? x.map(norm) : x;
      expect(plain(r.item)).toEqual(norm(viaCborx));
    }
  });

  it("the encoder writes what cbor-x writes, and the Sig_structure matches", () => {
    for (const n of [0, 23, 24, 255, 256, 65535, 65536, 4294967295, 4294967296, 9007199254740991, -1, -25, -65537]) {
      const want = Buffer.from(enc.encode(Math.abs(n) > 0xffffffff ? BigInt(n) : n));
      expect(Buffer.from(encodeInt(n)), String(n)).toEqual(want);
    }
    expect(Buffer.from(encodeText("Signature1"))).toEqual(Buffer.from(enc.encode("Signature1")));
    const prot = new Uint8Array(enc.encode(new Map<number, unknown>([[1, -8], [4, new Uint8Array(8)]])));
    const payload = new Uint8Array(300).fill(7);
    expect(Buffer.from(encodeBytes(payload))).toEqual(Buffer.from(enc.encode(payload)));
    expect(Buffer.from(sigStructure(prot, payload))).toEqual(Buffer.from(enc.encode(["Signature1", prot, new Uint8Array(0), payload])));
    expect(concat([]).length).toBe(0);
  });
});

describe("fuzz", () => {
  it("20,000 random and mutated inputs: ok or a typed error, never a throw", () => {
    let s = 12345;
    const rnd = (n: number) => ((s = (s * 1103515245 + 12345) % 2147483648), s % n);
    const seeds = [
      new Uint8Array(enc2().encode(new Map<number, unknown>([[1, "iss"], [4, 1800000000], [-65537, new Map([[1, "3201014512900001"]])]]))),
      hex("d28443a10127a0" + "4401020304" + "40"),
    ];
    let ok = 0;
    for (let i = 0; i < 20000; i++) {
      let b: Uint8Array;
      if (i % 2 === 0) {
        b = seeds[i % 4 === 0 ? 0 : 1].slice();
        const flips = 1 + rnd(4);
        for (let k = 0; k < flips; k++) b[rnd(b.length)] = rnd(256);
        if (rnd(3) === 0) b = b.slice(0, rnd(b.length + 1));
      } else {
        b = new Uint8Array(rnd(40)).map(() => rnd(256));
      }
      const r = cborDecode(b);
      if (r.ok) ok++;
      else expect(typeof r.error).toBe("string");
    }
    expect(ok).toBeGreaterThan(0);
  });
});

function enc2() {
  return new Encoder({ tagUint8Array: false, useRecords: false, mapsAsObjects: false, variableMapSize: true });
}
