// Property tests (fast-check) of the QR path, on Node and, for the same
// generated cases, on every runtime the firmware runs on (Lua 5.4 in wasmoon,
// lua5.3, lua5.4, the Espruino image): a valid code from the host issuer
// always verifies with the same answer everywhere, no single-bit flip of a
// valid code is ever OK, and every truncation is MALFORMED.
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import * as entry from "./conformance/core-entry";
import type { LuaRunner } from "./support/lua";
import { runtimeRunners } from "./support/runtimes";
import { T0, makeKey, rootOf, signKeyset } from "./support/fixtures";
import { issuePresentation } from "../host/issuer/issuer";
import type { Identity } from "../host/issuer/cose-sign";
import { base45Decode, base45Encode } from "../firmware/core/base45";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const root = makeKey(["root"]);
const issuer = makeKey(["qr"]);
const ks = hex(signKeyset(root, [issuer]));
const rootKid = hex(rootOf(root).kid);
const rootPub = hex(rootOf(root).publicKey);

// Names as people have them: Latin with accents, Arabic, CJK, an emoji (an
// astral code point), apostrophes and spaces; 1-100 code points (SPEC 2).
const NAME_CHARS = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz '-.\u00c9\u00e9\u00f1\u00fc\u0645\u062d\u0645\u062f\u6c34\u7530\ud83d\ude00"];
const nameChar = fc.constantFrom(...Array.from(new Set(Array.from(NAME_CHARS.join("")))));
const identity: fc.Arbitrary<Identity> = fc.record({
  nik: fc.stringMatching(/^[0-9]{16}$/),
  name: fc.array(nameChar, { minLength: 1, maxLength: 100 }).map((a) => a.join("")),
  dob: fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2030-12-31T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  sex: fc.constantFrom("L" as const, "P" as const),
  pob: fc.option(fc.array(nameChar, { maxLength: 40 }).map((a) => a.join("")), { nil: undefined }),
});

interface Case {
  text: string;
  now: number;
}

/** A fresh code from the host issuer, and a moment inside its validity window. */
const validCase: fc.Arbitrary<Case> = fc
  .record({
    idn: identity,
    iatOffset: fc.integer({ min: -86400, max: 86400 }),
    ttl: fc.integer({ min: 1, max: 90 }),
    age: fc.nat(),
    cti: fc.uint8Array({ minLength: 8, maxLength: 16 }),
    tagged: fc.boolean(),
  })
  .map((c) => {
    const iat = T0 + c.iatOffset;
    const text = issuePresentation(issuer.signer, c.idn, { iat, ttl: c.ttl, cti: c.cti, tagged: c.tagged });
    return { text, now: iat + (c.age % c.ttl) };
  });

const onNode = (c: Case) => entry.presentation(c.text, ks, rootKid, rootPub, String(c.now), "1");
const verdictOf = (answer: string) => answer.split("|")[0];

function flipBit(text: string, bit: number): string {
  const raw = base45Decode(text.slice(4));
  if (!raw.ok) throw new Error("the issuer made bad Base45");
  const b = raw.bytes.slice();
  b[Math.floor(bit / 8) % b.length] ^= 1 << bit % 8;
  return "PD1:" + base45Encode(b);
}

/** Cases whose answers must agree on every runtime, made once (fixed seed) so a failure reproduces. */
const SEED = 1128;
const valid = fc.sample(validCase, { numRuns: 16, seed: SEED });
const flipped = fc
  .sample(fc.tuple(validCase, fc.nat()), { numRuns: 16, seed: SEED + 1 })
  .map(([c, bit]) => ({ text: flipBit(c.text, bit), now: c.now }));
const truncated = fc
  .sample(fc.tuple(validCase, fc.nat()), { numRuns: 16, seed: SEED + 2 })
  .map(([c, n]) => ({ text: c.text.slice(0, n % c.text.length), now: c.now }));
const shared: Case[] = [...valid, ...flipped, ...truncated];
const nodeAnswers = shared.map(onNode);

describe("properties on Node", () => {
  it("a random valid presentation from the host issuer always verifies, showing what was issued", () => {
    fc.assert(
      fc.property(validCase, (c) => {
        const answer = onNode(c).split("|");
        expect(answer[0]).toBe("OK");
        const raw = base45Decode(c.text.slice(4));
        expect(raw.ok).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("no single-bit flip of a valid code is ever OK (in its bytes or in its text)", () => {
    fc.assert(
      fc.property(validCase, fc.nat(), (c, bit) => {
        expect(verdictOf(onNode({ text: flipBit(c.text, bit), now: c.now }))).not.toBe("OK");
        const chars = Buffer.from(c.text, "latin1");
        chars[Math.floor(bit / 8) % chars.length] ^= 1 << bit % 8;
        expect(verdictOf(onNode({ text: chars.toString("latin1"), now: c.now }))).not.toBe("OK");
      }),
      { numRuns: 150 },
    );
  });

  it("every truncation is MALFORMED (NOT_A_CREDENTIAL once the PD1: prefix itself is cut)", () => {
    fc.assert(
      fc.property(validCase, fc.nat(), (c, n) => {
        const cut = n % c.text.length;
        const answer = verdictOf(onNode({ text: c.text.slice(0, cut), now: c.now }));
        expect(answer).toBe(cut < 4 ? "NOT_A_CREDENTIAL" : "MALFORMED");
        // and a truncation of the COSE bytes under a well-formed Base45 text
        const raw = base45Decode(c.text.slice(4));
        if (!raw.ok) throw new Error("bad Base45 from the issuer");
        const bytes = raw.bytes.subarray(0, n % raw.bytes.length);
        expect(verdictOf(onNode({ text: "PD1:" + base45Encode(bytes), now: c.now }))).toBe("MALFORMED");
      }),
      { numRuns: 150 },
    );
  });

  it("the shared cases give the answers the properties promise", () => {
    expect(nodeAnswers.slice(0, 16).map(verdictOf)).toEqual(Array(16).fill("OK"));
    expect(nodeAnswers.slice(16, 32).map(verdictOf)).not.toContain("OK");
    for (let i = 32; i < 48; i++) expect(verdictOf(nodeAnswers[i])).toBe(shared[i].text.length < 4 ? "NOT_A_CREDENTIAL" : "MALFORMED");
  });
});

for (const [runtime, make] of runtimeRunners("test/conformance/core-entry.ts")) {
  describe(`the same generated cases on ${runtime}`, () => {
    let runner: LuaRunner | undefined;
    beforeAll(async () => {
      runner = await make();
    }, 120_000);
    it("give Node's answers, verdict, warnings and display alike (valid, bit-flipped, truncated)", async (ctx) => {
      if (runner === undefined) return ctx.skip();
      const got = await runner.callMany(shared.map((c) => ["presentation", c.text, ks, rootKid, rootPub, String(c.now), "1"]));
      for (let i = 0; i < shared.length; i++) expect(got[i], `${runtime} case ${i}: ${shared[i].text}`).toBe(nodeAnswers[i]);
    }, 600_000);
  });
}
