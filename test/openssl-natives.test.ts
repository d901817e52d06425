// The Linux-class target's natives (firmware/targets/node/natives.ts): Ed25519
// verification by OpenSSL through node:crypto behind the core's own strict
// checks must answer as the portable core does, case by case and with the same
// reason, on Wycheproof, RFC 8032 and every strictness rule of SPEC section 2.
// They run in a child process that installs the natives before the core loads
// (test/support/node-natives.ts); this process runs the portable core. The
// whole conformance suite runs through them too (test/conformance.test.ts).
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { ed } from "../host/issuer/ed";
import { ed25519Verify } from "../firmware/core/ed25519";
import { prng } from "../sim/camera/synth";
import { nodeNativesRunner } from "./support/node-natives";

type Call = [string, ...string[]];
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const le = (n: bigint) => hex(new Uint8Array(Buffer.from(n.toString(16).padStart(64, "0"), "hex").reverse()));

const wycheproof = JSON.parse(readFileSync(new URL("./vectors/wycheproof_ed25519_test.json", import.meta.url), "utf8")) as {
  testGroups: Array<{ publicKey: { pk: string }; tests: Array<{ tcId: number; msg: string; sig: string; result: string }> }>;
};

// RFC 8032 section 7.1, tests 1-3: public key, message, signature.
const RFC8032: Array<[string, string, string]> = [
  ["d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "", "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"],
  ["3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72", "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"],
  ["fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82", "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"],
];

/** Every rule of SPEC section 2 as an attack on a valid signature, and random valid and mutated ones. */
function strictCalls(): Call[] {
  const [pub, msg, sig] = RFC8032[0];
  const R = sig.slice(0, 64);
  const S = sig.slice(64);
  const sBig = BigInt("0x" + Buffer.from(S, "hex").reverse().toString("hex"));
  const smallOrder = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
  ];
  const calls: Call[] = [
    ["ed25519", pub, msg, R + le(sBig + L)], // malleable S
    ["ed25519", pub, msg, R + le(L)],
    ["ed25519", le(P + 1n), msg, sig], // A not canonical (y = p + 1)
    ["ed25519", le(P), msg, sig], // y = p: the same point as y = 0, not canonical
    ["ed25519", pub, msg, le(P + 1n) + S], // R not canonical
    ["ed25519", le(1n | (1n << 255n)), msg, sig], // A "negative zero"
    ["ed25519", pub, msg, le(1n | (1n << 255n)) + S],
    ["ed25519", le(2n), msg, sig], // no x for this y
    ...smallOrder.map((k): Call => ["ed25519", k, msg, sig]),
    // A small-order y near the list's: one bit off each is an ordinary key (or none).
    ...smallOrder.map((k): Call => ["ed25519", k.slice(0, 2) + (parseInt(k.slice(2, 4), 16) ^ 1).toString(16).padStart(2, "0") + k.slice(4), msg, sig]),
  ];
  const rand = prng(2202);
  for (let i = 0; i < 120; i++) {
    const secret = new Uint8Array(32).map(() => Math.floor(rand() * 256));
    const m = new Uint8Array(i).map(() => Math.floor(rand() * 256));
    const s = ed.sign(m, secret);
    const a = ed.getPublicKey(secret);
    if (i % 3 === 1) s[Math.floor(rand() * 64)] ^= 1 << Math.floor(rand() * 8);
    if (i % 3 === 2) a[Math.floor(rand() * 32)] ^= 1 << Math.floor(rand() * 8);
    calls.push(["ed25519", hex(a), hex(m), hex(s)]);
  }
  return calls;
}

describe("Ed25519 through OpenSSL (node:crypto) behind the core's checks", () => {
  const wyche: Call[] = [];
  const expected: string[] = [];
  for (const g of wycheproof.testGroups) {
    for (const t of g.tests) {
      wyche.push(["ed25519", g.publicKey.pk, t.msg, t.sig]);
      expected.push(t.result);
    }
  }
  const portable = (calls: Call[]) => calls.map(([, a, m, s]) => ed25519Verify(bytes(a), bytes(m), bytes(s)));

  it("all 151 Wycheproof cases: Wycheproof's result, and the portable core's reason, every one through OpenSSL where the checks pass", async () => {
    expect(wyche).toHaveLength(151);
    const runner = nodeNativesRunner("test/conformance/core-entry.ts");
    const got = await runner.callMany(wyche);
    expect(got.map((r) => (r === "OK" ? "valid" : "invalid"))).toEqual(expected);
    expect(got).toEqual(portable(wyche));
    // Every case that reaches OpenSSL was verified by it (none fell back to the portable equation).
    const passChecks = got.filter((r) => r === "OK" || r === "MISMATCH" || r === "BAD_PUBLIC_KEY").length;
    expect(runner.opensslCalls).toBeGreaterThanOrEqual(got.filter((r) => r === "OK").length);
    expect(runner.opensslCalls).toBeLessThanOrEqual(passChecks);
  }, 60_000);

  it("RFC 8032 tests 1-3 verify, and fail with a changed message", async () => {
    const calls: Call[] = [...RFC8032.map(([a, m, s]): Call => ["ed25519", a, m, s]), ...RFC8032.map(([a, m, s]): Call => ["ed25519", a, m + "00", s])];
    const runner = nodeNativesRunner("test/conformance/core-entry.ts");
    expect(await runner.callMany(calls)).toEqual(["OK", "OK", "OK", "MISMATCH", "MISMATCH", "MISMATCH"]);
    expect(runner.opensslCalls).toBe(6);
  }, 60_000);

  it("every strictness rule (malleable S, non-canonical A and R, the 8 small-order keys) and random keys answer as the portable core", async () => {
    const calls = strictCalls();
    const runner = nodeNativesRunner("test/conformance/core-entry.ts");
    const got = await runner.callMany(calls);
    const want = portable(calls);
    expect(got).toEqual(want);
    expect(want.slice(0, 16)).toEqual([
      "NON_CANONICAL_S", "NON_CANONICAL_S", "BAD_PUBLIC_KEY", "BAD_PUBLIC_KEY", "NON_CANONICAL_R", "BAD_PUBLIC_KEY", "NON_CANONICAL_R", "BAD_PUBLIC_KEY",
      ...Array(8).fill("SMALL_ORDER_PUBLIC_KEY"),
    ]);
    expect(want.filter((r) => r === "OK").length).toBeGreaterThanOrEqual(40);
  }, 60_000);
});
