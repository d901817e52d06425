// The portable Ed25519 verifier against Wycheproof, against @noble/ed25519 on
// random keys and mutations, and on each strictness rule of SPEC section 2.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { ed } from "../host/issuer/ed";
import { ed25519Verify, reduce64 } from "../firmware/core/ed25519";
import { makeBaseTable, makeKeyTable } from "../firmware/core/ed25519-table-make";
import { CONSTANTS } from "../firmware/core/ed25519-curve";
import { SUBTABLE_BYTES, type TableSet, digits, tablesFor } from "../firmware/core/ed25519-table";
import { ed25519PublicKey, ed25519Sign } from "../firmware/core/ed25519-sign";
import { sha512 } from "../firmware/core/sha512";
import { prng } from "../sim/camera/synth";

const hex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const toBig = (b: Uint8Array) => BigInt("0x" + (Buffer.from(b).reverse().toString("hex") || "0"));
const fromBig = (n: bigint, len = 32) => new Uint8Array(Buffer.from(n.toString(16).padStart(len * 2, "0"), "hex").reverse());
const limbs = (fe: ArrayLike<number>) => {
  let n = 0n;
  for (let i = 15; i >= 0; i--) n = (n << 16n) + BigInt(fe[i]);
  return n;
};
const mod = (n: bigint) => ((n % P) + P) % P;

// A deterministic PRNG so failures reproduce.
const rng = prng;

describe("curve constants", () => {
  it("match their definitions", () => {
    const d = limbs(CONSTANTS.D);
    expect(mod(d * 121666n + 121665n)).toBe(0n); // d = -121665/121666
    expect(limbs(CONSTANTS.D2)).toBe(mod(2n * d));
    expect(mod(limbs(CONSTANTS.SQRT_M1) ** 2n + 1n)).toBe(0n);
    const x = limbs(CONSTANTS.BX);
    const y = limbs(CONSTANTS.BY);
    expect(mod(5n * y - 4n)).toBe(0n);
    expect(mod(-x * x + y * y - 1n - d * x * x * y * y)).toBe(0n); // on the curve
    expect(x % 2n).toBe(0n);
    expect(toBig(new Uint8Array(CONSTANTS.L))).toBe(L);
  });
});

describe("Wycheproof ed25519_test.json", () => {
  const file = JSON.parse(readFileSync(new URL("./vectors/wycheproof_ed25519_test.json", import.meta.url), "utf8"));
  const cases: Array<{ pk: string; tcId: number; comment: string; msg: string; sig: string; result: string }> = [];
  for (const g of file.testGroups) for (const t of g.tests) cases.push({ pk: g.publicKey.pk, ...t });

  it("has all 151 cases", () => expect(cases).toHaveLength(151));
  it("agrees with every result", () => {
    for (const t of cases) {
      const r = ed25519Verify(hex(t.pk), hex(t.msg), hex(t.sig));
      expect(r === "OK", `tcId ${t.tcId} ${t.comment}: ${r}`).toBe(t.result === "valid");
    }
  });
});

describe("agreement with @noble/ed25519 (zip215: false)", () => {
  it("1,200 random keys and messages, valid and mutated", () => {
    const rand = rng(20261123);
    const bytes = (n: number) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
      return b;
    };
    let valid = 0;
    let invalid = 0;
    let otherPub = ed.getPublicKey(bytes(32));
    for (let i = 0; i < 1200; i++) {
      const secret = bytes(32);
      const pub = ed.getPublicKey(secret);
      const msg = bytes(Math.floor(rand() * 301));
      const sig = ed.sign(msg, secret);
      let m = msg;
      let s = sig;
      let p = pub;
      switch (i % 5) {
        case 1: s = sig.slice(); s[Math.floor(rand() * 64)] ^= 1 << Math.floor(rand() * 8); break;
        case 2: if (msg.length > 0) { m = msg.slice(); m[Math.floor(rand() * msg.length)] ^= 1 << Math.floor(rand() * 8); } else m = new Uint8Array([1]); break;
        case 3: p = pub.slice(); p[Math.floor(rand() * 32)] ^= 1 << Math.floor(rand() * 8); break;
        case 4: p = otherPub; break;
      }
      otherPub = pub;
      const mine = ed25519Verify(p, m, s) === "OK";
      let ref: boolean;
      try {
        ref = ed.verify(s, m, p, { zip215: false });
      } catch {
        ref = false;
      }
      expect(mine, `case ${i}`).toBe(ref);
      if (ref) valid++;
      else invalid++;
    }
    expect(valid).toBeGreaterThanOrEqual(240);
    expect(invalid).toBeGreaterThanOrEqual(900);
  });
});

describe("strictness (SPEC section 2)", () => {
  const secret = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"); // RFC 8032 test 1
  const pub = ed.getPublicKey(secret);
  const msg = new Uint8Array(0);
  const sig = ed.sign(msg, secret);

  it("RFC 8032 test 1 verifies", () => {
    expect(Buffer.from(pub).toString("hex")).toBe("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    expect(ed25519Verify(pub, msg, sig)).toBe("OK");
  });

  it("S + L (same point, malleable S) is NON_CANONICAL_S", () => {
    const s = toBig(sig.slice(32));
    const bad = new Uint8Array([...sig.slice(0, 32), ...fromBig(s + L)]);
    expect(ed25519Verify(pub, msg, bad)).toBe("NON_CANONICAL_S");
    const atL = new Uint8Array([...sig.slice(0, 32), ...fromBig(L)]);
    expect(ed25519Verify(pub, msg, atL)).toBe("NON_CANONICAL_S");
  });

  it("non-canonical encodings of A and R are rejected", () => {
    // y = p + 1 encodes the same y as 1 (identity) but is not canonical.
    const nonCanon = fromBig(P + 1n);
    expect(ed25519Verify(nonCanon, msg, sig)).toBe("BAD_PUBLIC_KEY");
    expect(ed25519Verify(pub, msg, new Uint8Array([...nonCanon, ...sig.slice(32)]))).toBe("NON_CANONICAL_R");
    // x = 0 with the sign bit set ("negative zero")
    const negZero = fromBig(1n | (1n << 255n));
    expect(ed25519Verify(negZero, msg, sig)).toBe("BAD_PUBLIC_KEY");
    expect(ed25519Verify(pub, msg, new Uint8Array([...negZero, ...sig.slice(32)]))).toBe("NON_CANONICAL_R");
    // a y with no x on the curve
    expect(ed25519Verify(fromBig(2n), msg, sig)).toBe("BAD_PUBLIC_KEY");
  });

  it("all eight small-order public keys are rejected", () => {
    const smallOrder = [
      "0100000000000000000000000000000000000000000000000000000000000000", // identity
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
      "0000000000000000000000000000000000000000000000000000000000000080", // order 4 (x = sqrt(-1) sign)
      "0000000000000000000000000000000000000000000000000000000000000000", // order 4
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    ];
    for (const k of smallOrder) expect(ed25519Verify(hex(k), msg, sig), k).toBe("SMALL_ORDER_PUBLIC_KEY");
  });

  it("wrong lengths and garbage never throw", () => {
    expect(ed25519Verify(pub.slice(0, 31), msg, sig)).toBe("BAD_LENGTH");
    expect(ed25519Verify(pub, msg, sig.slice(0, 63))).toBe("BAD_LENGTH");
    const rand = rng(1);
    for (let i = 0; i < 300; i++) {
      const p = new Uint8Array(32).map(() => Math.floor(rand() * 256));
      const s = new Uint8Array(64).map(() => Math.floor(rand() * 256));
      expect(ed25519Verify(p, msg, s)).not.toBe("OK");
    }
  });

  it("k = SHA-512(...) mod L is reduced exactly", () => {
    const rand = rng(9);
    for (let i = 0; i < 200; i++) {
      const h = i === 0 ? new Uint8Array(64).fill(255) : sha512(new Uint8Array([i, Math.floor(rand() * 256)]));
      expect(toBig(reduce64(h))).toBe(toBig(h) % L);
    }
  });
});

describe("precomputed tables (firmware/core/ed25519-table.ts)", () => {
  const baseTable = makeBaseTable();

  it("the base table holds j * 2^(16m) * B in y + x, y - x, 2dxy form", () => {
    expect(baseTable).toHaveLength(16);
    for (const sub of baseTable) expect(sub).toHaveLength(SUBTABLE_BYTES);
    const d = limbs(CONSTANTS.D);
    const inv = (n: bigint) => { let r = 1n, b = mod(n), e = P - 2n; while (e > 0n) { if (e & 1n) r = (r * b) % P; b = (b * b) % P; e >>= 1n; } return r; };
    for (const [m, j] of [[0, 1], [0, 8], [5, 3], [15, 8]]) {
      const at = (j - 1) * 96;
      const ypx = toBig(baseTable[m].slice(at, at + 32));
      const ymx = toBig(baseTable[m].slice(at + 32, at + 64));
      const xy2d = toBig(baseTable[m].slice(at + 64, at + 96));
      const x = mod((ypx - ymx) * inv(2n));
      const y = mod((ypx + ymx) * inv(2n));
      expect(xy2d).toBe(mod(2n * d * x * y));
      const want = ed.Point.BASE.multiply(BigInt(j) << BigInt(16 * m)).toAffine();
      expect([x, y]).toEqual([want.x, want.y]);
    }
  });

  it("signed radix-16 digits add back up to the scalar", () => {
    const rand = rng(7);
    for (let n = 0; n < 200; n++) {
      const s = new Uint8Array(32).map(() => Math.floor(rand() * 256));
      s[31] &= 0x1f; // below 2^253, as S < L and k < L are
      const e = digits(s);
      expect(e.every((x) => x >= -8 && x <= 8)).toBe(true);
      expect(e.reduceRight((acc, x) => acc * 16n + BigInt(x), 0n)).toBe(toBig(s));
    }
  });

  it("verification with tables gives the same answer as without, Wycheproof and random", () => {
    const file = JSON.parse(readFileSync(new URL("./vectors/wycheproof_ed25519_test.json", import.meta.url), "utf8"));
    let tabled = 0;
    for (const g of file.testGroups) {
      const pk = hex(g.publicKey.pk);
      const table = makeKeyTable(pk);
      for (const t of g.tests) {
        const plain = ed25519Verify(pk, hex(t.msg), hex(t.sig));
        const tables = table === undefined ? undefined : { base: baseTable, key: table };
        expect(ed25519Verify(pk, hex(t.msg), hex(t.sig), tables), `tcId ${t.tcId}`).toBe(plain);
        if (table) tabled++;
      }
    }
    const rand = rng(99);
    for (let i = 0; i < 100; i++) {
      const secret = new Uint8Array(32).map(() => Math.floor(rand() * 256));
      const pub = ed.getPublicKey(secret);
      const msg = new Uint8Array(i).map(() => Math.floor(rand() * 256));
      const sig = ed.sign(msg, secret);
      if (i % 2 === 1) sig[Math.floor(rand() * 64)] ^= 1 << Math.floor(rand() * 8);
      const tables = { base: baseTable, key: makeKeyTable(pub)! };
      expect(ed25519Verify(pub, msg, sig, tables) === "OK", `case ${i}`).toBe(ed.verify(sig, msg, pub, { zip215: false }));
    }
    expect(tabled).toBeGreaterThan(140);
  });

  it("the tables are an input: another key's table gives another answer, a malformed one is not used", () => {
    const secret = new Uint8Array(32).fill(3);
    const pub = ed.getPublicKey(secret);
    const msg = new Uint8Array([1, 2, 3]);
    const sig = ed.sign(msg, secret);
    const other = makeKeyTable(ed.getPublicKey(new Uint8Array(32).fill(4)))!;
    expect(ed25519Verify(pub, msg, sig, { base: baseTable, key: makeKeyTable(pub)! })).toBe("OK");
    expect(ed25519Verify(pub, msg, sig, { base: baseTable, key: other })).toBe("MISMATCH"); // the table decides: it must be the key's own
    expect(ed25519Verify(pub, msg, sig, { base: baseTable, key: other.slice(0, 15) })).toBe("OK"); // 15 subtables: the portable path
    expect(ed25519Verify(pub, msg, sig, { base: [new Uint8Array(3), ...baseTable.slice(1)], key: other })).toBe("OK");
  });

  it("a table set hands out both tables only for a key it holds, and only with the base point's", () => {
    const a = ed.getPublicKey(new Uint8Array(32).fill(5));
    const b = ed.getPublicKey(new Uint8Array(32).fill(6));
    const ta = makeKeyTable(a)!;
    const set: TableSet = { base: baseTable, keys: [{ publicKey: a, table: ta }] };
    expect(tablesFor(set, Uint8Array.from(a))).toEqual({ base: baseTable, key: ta });
    expect(tablesFor(set, b)).toBeUndefined();
    expect(tablesFor({ base: undefined, keys: set.keys }, a)).toBeUndefined();
    expect(tablesFor(undefined, a)).toBeUndefined();
  });

  it("signing with the base point's table gives the same signature", () => {
    const seed = new Uint8Array(32).fill(8);
    const pub = ed25519PublicKey(seed);
    const msg = new Uint8Array([9, 9, 9]);
    expect(Buffer.from(ed25519Sign(seed, pub, msg, baseTable))).toEqual(Buffer.from(ed25519Sign(seed, pub, msg)));
    expect(Buffer.from(ed25519Sign(seed, pub, msg))).toEqual(Buffer.from(ed.sign(msg, seed)));
  });

  it("no table for keys that verification refuses", () => {
    expect(makeKeyTable(hex("0100000000000000000000000000000000000000000000000000000000000000"))).toBeUndefined();
    expect(makeKeyTable(fromBig(2n))).toBeUndefined();
    expect(makeKeyTable(new Uint8Array(31))).toBeUndefined();
  });
});
