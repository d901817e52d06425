// One conformance suite, three runtimes: the same calls into the verification
// core must give the same answers on Node (TypeScript sources), in the Lua VM
// (typescript-to-lua bundle in wasmoon, lua5.3 and lua5.4) and as an Espruino
// image (minified rollup bundle in an Espruino-globals sandbox).
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import * as entry from "./conformance/core-entry";
import type { LuaRunner } from "./support/lua";
import { runtimeRunners } from "./support/runtimes";
import { ALICE, T0, entryOf, makeKey, present, rootOf, signKeyset } from "./support/fixtures";
import { keysetPayload, sign1 } from "../host/issuer/cose-sign";
import { base45Encode } from "../firmware/core/base45";
import { cardAuthMessage } from "../firmware/core/card";
import { issueCardCredential } from "../host/issuer/issuer";
import { ed } from "../host/issuer/ed";
import { sha256 } from "@noble/hashes/sha2.js";

type Call = [string, ...string[]];
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function wycheproofCalls(): Call[] {
  const j = JSON.parse(readFileSync(new URL("./vectors/wycheproof_ed25519_test.json", import.meta.url), "utf8"));
  const calls: Call[] = [];
  for (const g of j.testGroups) for (const t of g.tests) calls.push(["ed25519", g.publicKey.pk, t.msg, t.sig]);
  return calls;
}

function cborCalls(): Call[] {
  const j = JSON.parse(readFileSync(new URL("./vectors/cbor_appendix_a.json", import.meta.url), "utf8"));
  const extra = ["1817", "5f4101ff", "a2010101 02", "62c328", "81".repeat(16) + "00", "1b0020000000000000", "0000", ""];
  return [...j.map((v: { hex: string }) => ["cbor", v.hex] as Call), ...extra.map((h) => ["cbor", h.replace(/ /g, "")] as Call)];
}

function base45Calls(): Call[] {
  return ["BB8", "%69 VD92EX0", "UJCLQE7W581", "QED8WEX0", "GGW", "B", "bb8", "", base45Encode(new Uint8Array(randomBytes(50)))].map(
    (t) => ["base45", t] as Call,
  );
}

function verdictCalls(): Call[] {
  const root = makeKey(["root"]);
  const qr = makeKey(["qr"]);
  const cardKey = makeKey(["card"]);
  const ks = hex(signKeyset(root, [qr, cardKey], { revoked: [new Uint8Array(Buffer.from("KTP-9"))] }));
  const r = rootOf(root);
  const kid = hex(r.kid);
  const pub = hex(r.publicKey);
  const good = present(qr);
  const tampered = good.slice(0, -3) + (good.endsWith("000") ? "111" : "000");
  const p = (text: string, now = T0 + 10, trusted = "1", keyset = ks): Call => ["presentation", text, keyset, kid, pub, String(now), trusted];
  const calls: Call[] = [
    p(good),
    p(present(qr, { tagged: false })),
    p(present(qr, {}, { ...ALICE, name: "Dewi \u00c9l\u00e9onore \u6c34" })),
    p(good, T0 + 119),
    p(good, T0 + 120),
    p(present(qr, { iat: T0 + 41 })),
    p(present(qr, { ttl: 91 })),
    p(present(cardKey)),
    p(present(makeKey(["qr"]))),
    p(tampered),
    p("PD1:AB"),
    p("https://example.com"),
    p(good, T0 + 10, "0"),
    p(good, T0 + 10, "1", ""),
    p(present(qr, { iat: T0 + 40 * 86400 }), T0 + 40 * 86400 + 5), // key set past next_update: stale, still OK
  ];
  // The scan queue's ranks for the same lines (core/triage.ts): 2 could be OK, 1 cannot, 0 junk.
  for (const c of calls.slice()) if (c[0] === "presentation") calls.push(["triageRank", ...c.slice(1)] as Call);
  const cardSecret = ed.utils.randomSecretKey();
  const credential = issueCardCredential(cardKey.signer, ALICE, {
    serial: "KTP-1", iat: T0 - 86400, exp: T0 + 86400, cardPublicKey: ed.getPublicKey(cardSecret),
  });
  const challenge = new Uint8Array(randomBytes(32));
  const c = (cred: Uint8Array, sig: Uint8Array): Call => ["card", hex(cred), hex(challenge), hex(sig), ks, kid, pub, String(T0)];
  calls.push(c(credential, ed.sign(cardAuthMessage(challenge), cardSecret)));
  calls.push(c(credential, ed.sign(cardAuthMessage(challenge), ed.utils.randomSecretKey())));
  const revoked = issueCardCredential(cardKey.signer, ALICE, {
    serial: "KTP-9", iat: T0 - 86400, exp: T0 + 86400, cardPublicKey: ed.getPublicKey(cardSecret),
  });
  calls.push(c(revoked, ed.sign(cardAuthMessage(challenge), cardSecret)));
  return calls;
}

function pn532Calls(): Call[] {
  const reply = "0000ff06fad50332010607e800";
  const badReply = "0000ff06fad50332000607e800";
  return [
    ["pn532Command", "2", ""],
    ["pn532Command", "20", "011400"],
    ["pn532Command", "64", "0100a4040008f050494e4441490100"],
    ["pn532Command", "64", "01" + "ab".repeat(261)],
    ["pn532Parse", "0000ff00ff00," + reply],
    ["pn532Parse", reply.match(/../g)!.join(",")],
    ["pn532Parse", "5555aa," + badReply + "," + reply + ",0000ffff0000,0000ff01ff7f8100"],
    ["pn532Parse", "0000ff06fbd503320106,07e800,0000ff00ff00"],
  ];
}

function sha256Nist(): Array<{ msg: string; digest: string }> {
  return JSON.parse(readFileSync(new URL("./vectors/sha256_nist.json", import.meta.url), "utf8"));
}

/** SHA-256 (NIST examples, every padding case near a block), kids, and a key set with a kid that is not its key's. */
function sha256Calls(): Call[] {
  const calls: Call[] = sha256Nist().map((v) => ["sha256Hex", v.msg] as Call);
  for (const n of [55, 56, 63, 64, 65, 119, 120, 200]) calls.push(["sha256Hex", hex(new Uint8Array(randomBytes(n)))]);
  const root = makeKey(["root"]);
  const a = makeKey(["qr"]);
  const b = makeKey(["card"]);
  calls.push(["kidHex", hex(a.publicKey)]);
  const policy = { skew: 30, maxValidity: 90, replay: 1 };
  const ks = (keys: ReturnType<typeof entryOf>[]) =>
    hex(sign1(root.signer.secretKey, root.signer.kid, keysetPayload({ version: 1, issued: T0, nextUpdate: T0 + 1, keys, revoked: [], policy })));
  const r = rootOf(root);
  calls.push(["keysetLoad", ks([entryOf(a), entryOf(b)]), hex(r.kid), hex(r.publicKey)]);
  calls.push(["keysetLoad", ks([entryOf(a), { ...entryOf(b), kid: a.signer.kid }]), hex(r.kid), hex(r.publicKey)]);
  return calls;
}

/** The table path: the base table's bytes, then Wycheproof's first cases and one key's valid and bad signatures. */
function tabledCalls(): Call[] {
  const calls: Call[] = [["baseTableDigest"]];
  for (const c of wycheproofCalls().slice(0, 10)) calls.push(["ed25519Tabled", c[1], c[2], c[3]]);
  const secret = ed.utils.randomSecretKey();
  const pub = hex(ed.getPublicKey(secret));
  for (let i = 0; i < 4; i++) {
    const msg = new Uint8Array(randomBytes(20 + i));
    const sig = ed.sign(msg, secret);
    if (i % 2 === 1) sig[i * 7] ^= 4;
    calls.push(["ed25519Tabled", pub, hex(msg), hex(sig)]);
  }
  return calls;
}

/** The device's own key (app/identity.ts): key pair, kid, signatures; SHA-256 on block boundaries. */
function deviceKeyCalls(): Call[] {
  const calls: Call[] = [];
  for (let i = 0; i < 3; i++) calls.push(["deviceSign", hex(new Uint8Array(randomBytes(32))), hex(new Uint8Array(randomBytes(i * 40)))]);
  for (const n of [0, 3, 55, 56, 64, 119, 200]) calls.push(["sha256Hex", hex(new Uint8Array(randomBytes(n)))]);
  return calls;
}

function hmacCalls(): Call[] {
  const j = JSON.parse(readFileSync(new URL("./vectors/rfc4231_hmac_sha512.json", import.meta.url), "utf8"));
  return j.map((v: { key: string; data: string }) => ["hmacSha512Hex", v.key, v.data] as Call);
}

/** Names with a newline, ANSI escapes, bidi overrides, zero-width characters and astral characters. */
const DISPLAY_CASES = ["Siti\nAminah", "\x1b[2J\x1b[42mSiti\u009b31m", "Siti \u202eharamA\u202c\u2067x\u2069\u200b\ufeffY", "\u00c9mile \u6c34" + "\u{1f600}".repeat(5)];
function displayCalls(): Call[] {
  return DISPLAY_CASES.flatMap((t) => ["100", "8"].map((n) => ["displayTextHex", Buffer.from(t, "utf8").toString("hex"), n] as Call));
}

const P = 2n ** 255n - 19n;
const toLe = (n: bigint) => {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++) b[i] = Number((n >> BigInt(8 * i)) & 255n);
  return hex(b);
};
const fromLe = (h: string) => BigInt("0x" + (Buffer.from(h, "hex").reverse().toString("hex") || "0"));

/** Field operands at the edges (0, 1, p - 1, p, 2^255 - 1, all limbs full) and at random. */
function fieldCalls(): Call[] {
  const edges = [0n, 1n, 2n, P - 1n, P, P + 1n, 2n ** 255n - 1n, 2n ** 254n, (2n ** 255n - 1n) / 3n];
  const calls: Call[] = [];
  for (const a of edges) for (const b of [edges[0], edges[3], edges[6], edges[8]]) calls.push(["fieldOps", toLe(a), toLe(b)]);
  for (let i = 0; i < 24; i++) calls.push(["fieldOps", hex(randomBytes(32)), hex(randomBytes(32))]);
  return calls;
}

/** fieldOps' answer computed with BigInt. */
function fieldExpected(aHex: string, bHex: string): string {
  const mod = (n: bigint) => ((n % P) + P) % P;
  const a = fromLe(aHex) & (2n ** 255n - 1n);
  const b = fromLe(bHex) & (2n ** 255n - 1n);
  let inv = 1n;
  for (let e = P - 2n, x = mod(a); e > 0n; e >>= 1n, x = (x * x) % P) if (e & 1n) inv = (inv * x) % P;
  return [a * b, a * a, a + b, a - b, inv, (2n * a + 2n * b) * (a - 3n * b)].map((n) => toLe(mod(n))).join("|");
}

/** SHA-512 at every padding boundary (111/112, 127/128/129, 239/240) and beyond a block. */
function sha512Calls(): Call[] {
  return [0, 1, 3, 55, 111, 112, 113, 127, 128, 129, 200, 239, 240, 255, 256, 264, 1000].map((n) => ["sha512Hex", hex(randomBytes(n))] as Call);
}

const suites: Record<string, Call[]> = {
  "device key: Ed25519 signing and SHA-256": deviceKeyCalls(),
  "field arithmetic (edges and random)": fieldCalls(),
  "SHA-512 (padding boundaries)": sha512Calls(),
  "Wycheproof Ed25519 (151 cases)": wycheproofCalls(),
  "Ed25519 with precomputed tables": tabledCalls(),
  "CBOR Appendix A and strict-profile errors": cborCalls(),
  "Base45": base45Calls(),
  "verdict table (QR and card)": verdictCalls(),
  "PN532 frames": pn532Calls(),
  "SHA-256 and key ids": sha256Calls(),
  "HMAC-SHA-512 (RFC 4231)": hmacCalls(),
  "display text": displayCalls(),
};
const fns = entry as unknown as Record<string, (...a: string[]) => string>;
const onNode: Record<string, string[]> = {};
for (const [name, calls] of Object.entries(suites)) onNode[name] = calls.map(([fn, ...args]) => fns[fn](...args));

describe("Node reference answers", () => {
  it("are the expected ones", () => {
    const w = onNode["Wycheproof Ed25519 (151 cases)"];
    expect(w.filter((x) => x === "OK")).toHaveLength(88);
    const t = onNode["Ed25519 with precomputed tables"];
    expect(t.slice(1, 11)).toEqual(w.slice(0, 10)); // the table path answers as the plain one
    expect(t.slice(11)).toEqual(["OK", "MISMATCH", "OK", "MISMATCH"]);
    const v = onNode["verdict table (QR and card)"].map((x) => x.split("|")[0]);
    expect(v).toEqual([
      "OK", "OK", "OK", "OK", "EXPIRED", "NOT_YET_VALID", "VALIDITY_TOO_LONG", "KEY_NOT_VALID", "UNKNOWN_KEY",
      expect.stringMatching(/BAD_SIGNATURE|MALFORMED/), "MALFORMED", "NOT_A_CREDENTIAL", "CLOCK_NOT_SET", "NO_KEYSET", "OK",
      "2", "2", "2", "2", "1", "1", "1", "1", "1", expect.stringMatching(/^[12]$/), "1", "0", "1", "1", "2",
      "OK", "CARD_AUTH_FAILED", "REVOKED",
    ]);
    expect(onNode["verdict table (QR and card)"][14]).toContain("KEYSET_STALE");
    const dk = suites["device key: Ed25519 signing and SHA-256"];
    for (let i = 0; i < 3; i++) {
      const [pub, kid, sig] = onNode["device key: Ed25519 signing and SHA-256"][i].split(" ");
      const seed = Buffer.from(dk[i][1], "hex");
      expect(pub).toBe(hex(ed.getPublicKey(seed)));
      expect(kid).toBe(hex(sha256(Buffer.from(pub, "hex")).slice(0, 8)));
      expect(sig).toBe(hex(ed.sign(Buffer.from(dk[i][2], "hex"), seed)));
    }
    for (let i = 3; i < dk.length; i++) expect(onNode["device key: Ed25519 signing and SHA-256"][i]).toBe(hex(sha256(Buffer.from(dk[i][1], "hex"))));
    const sha = onNode["SHA-256 and key ids"];
    expect(sha.slice(0, 13)).toEqual(sha256Nist().map((v) => v.digest));
    expect(sha.slice(-2)).toEqual(["ok", "MALFORMED: key entry 1: kid is not SHA-256(public key)[0:8]"]);
    const rfc = JSON.parse(readFileSync(new URL("./vectors/rfc4231_hmac_sha512.json", import.meta.url), "utf8"));
    expect(onNode["HMAC-SHA-512 (RFC 4231)"].map((m, i) => m.slice(0, rfc[i].hmacSha512.length))).toEqual(rfc.map((v: { hmacSha512: string }) => v.hmacSha512));
    const shown = onNode["display text"].map((h) => Buffer.from(h, "hex").toString("utf8"));
    expect(shown).toEqual(["SitiAminah", "SitiAmin", "[2J[42mSiti31m", "[2J[42mS", "Siti haramAxY", "Siti har", "\u00c9mile \u6c34" + "\u{1f600}".repeat(5), "\u00c9mile \u6c34\u{1f600}"]);
    const sha5 = suites["SHA-512 (padding boundaries)"];
    expect(onNode["SHA-512 (padding boundaries)"]).toEqual(sha5.map((c) => createHash("sha512").update(Buffer.from(c[1], "hex")).digest("hex")));
    const f = suites["field arithmetic (edges and random)"];
    expect(onNode["field arithmetic (edges and random)"]).toEqual(f.map((c) => fieldExpected(c[1], c[2])));
    expect(onNode["PN532 frames"].slice(4)).toEqual([
      "ack,frame:d50332010607",
      "frame:d50332010607",
      "bad-checksum,frame:d50332010607,nack,error-frame",
      "bad-checksum,ack",
    ]);
  });
});

const runners = runtimeRunners("test/conformance/core-entry.ts");

for (const [runtime, make] of runners) {
  describe(`conformance on ${runtime}`, () => {
    let runner: LuaRunner | undefined;
    beforeAll(async () => {
      runner = await make();
    }, 120_000);
    for (const [name, calls] of Object.entries(suites)) {
      it(name, async (ctx) => {
        if (runner === undefined) return ctx.skip();
        const got = await runner.callMany(calls);
        for (let i = 0; i < calls.length; i++) {
          expect(got[i], `${runtime} ${name} #${i} ${calls[i][0]}`).toBe(onNode[name][i]);
        }
      }, 900_000); // the real Espruino interpreter takes minutes for Wycheproof
    }
  });
}
