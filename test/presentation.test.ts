// Every verdict of SPEC section 3 that a QR presentation can produce, with
// real keys and real signatures, and each time boundary.
import { describe, expect, it } from "vitest";
import { verifyPresentation } from "../firmware/core/presentation";
import { ReplayCache } from "../firmware/core/replay";
import { REPLAY_OFF, REPLAY_REJECT, REPLAY_WARN } from "../firmware/core/policy";
import type { TrustedTime } from "../firmware/core/trust";
import { base45Encode } from "../firmware/core/base45";
import { cborEncode, presentationPayload } from "../host/issuer/cose-sign";
import { ed } from "../host/issuer/ed";
import { ALICE, T0, keysetOf, makeKey, present, type TestKey } from "./support/fixtures";

const root = makeKey(["root"]);
const issuer = makeKey(["qr"]);
const cardOnly = makeKey(["card"]);
const future = makeKey(["qr"], T0 + 1000, T0 + 2000);
const past = makeKey(["qr"], T0 - 2000, T0 - 1000);
const stranger = makeKey(["qr"]);
const ks = keysetOf(root, [issuer, cardOnly, future, past]);
const at = (now: number, trusted = true): TrustedTime => ({ now, trusted });
const check = (text: string, now = T0 + 10, keyset = ks, replay = new ReplayCache(16)) =>
  verifyPresentation(text, keyset, at(now), replay);

function flipBit(text: string, byteIndexFromEnd: number): string {
  // Decode, flip one bit, re-encode: a one-bit-tampered copy of the same code.
  const raw = Buffer.from(base45ToBytes(text.slice(4)));
  raw[raw.length - byteIndexFromEnd] ^= 1;
  return "PD1:" + base45Encode(new Uint8Array(raw));
}

function base45ToBytes(s: string): Uint8Array {
  const A = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 3) {
    const c = A.indexOf(s[i]) + A.indexOf(s[i + 1]) * 45 + (i + 2 < s.length ? A.indexOf(s[i + 2]) * 2025 : 0);
    if (i + 2 < s.length) out.push(c >> 8, c & 255);
    else out.push(c);
  }
  return new Uint8Array(out);
}

/** A presentation with a hand-made protected header (e.g. another alg). */
function withProtected(k: TestKey, protectedMap: Map<number, unknown>): string {
  const prot = cborEncode(protectedMap as never);
  const payload = presentationPayload({ iss: "x", iat: T0, exp: T0 + 90, cti: new Uint8Array(8), idn: ALICE });
  const sig = ed.sign(cborEncode(["Signature1", prot, new Uint8Array(0), payload]), k.signer.secretKey);
  return "PD1:" + base45Encode(cborEncode([prot, new Map(), payload, sig]));
}

describe("QR presentation verdicts", () => {
  it("OK shows name, date of birth, masked NIK and issuer, and nothing else", () => {
    const r = check(present(issuer));
    expect(r.verdict).toBe("OK");
    expect(r.display).toEqual({
      name: "Siti Aminah",
      dob: "1990-12-05",
      nikMasked: "************0001",
      sex: "P",
      issuer: "pindai demo issuer",
      pob: "Bogor",
    });
    expect(r.warnings).toEqual([]);
    expect(r.kid).toBe(issuer.file.kid);
  });

  it("untagged COSE_Sign1 is accepted too", () => {
    expect(check(present(issuer, { tagged: false })).verdict).toBe("OK");
  });

  it("NOT_A_CREDENTIAL for other QR codes and a lower-case prefix", () => {
    for (const t of ["https://example.com", "", "pd1:" + present(issuer).slice(4), "PD1"]) {
      const r = check(t);
      expect(r.verdict, t).toBe("NOT_A_CREDENTIAL");
      expect(r.display).toBeUndefined();
    }
  });

  it("MALFORMED for bad Base45, non-COSE CBOR, bad header, oversize text", () => {
    const cases = [
      "PD1:abc", // lower case is not Base45
      "PD1:" + base45Encode(cborEncode([1, 2, 3])),
      "PD1:" + base45Encode(cborEncode("hello")),
      "PD1:" + base45Encode(new Uint8Array([0x84, 0x40])), // truncated
      withProtected(issuer, new Map([[1, -8]])), // no kid
      withProtected(issuer, new Map<number, unknown>([[1, -8], [4, new Uint8Array(7)]])), // 7-byte kid
      "PD1:" + "A".repeat(5000),
    ];
    for (const t of cases) expect(check(t).verdict, t.slice(0, 40)).toBe("MALFORMED");
  });

  it("MALFORMED when a signed payload lacks a required claim", () => {
    const bad = { ...ALICE, nik: "123" };
    expect(check(present(issuer, {}, bad)).verdict).toBe("MALFORMED");
    expect(check(present(issuer, {}, { ...ALICE, dob: "1990-02-30" })).verdict).toBe("MALFORMED");
    expect(check(present(issuer, {}, { ...ALICE, name: "" })).verdict).toBe("MALFORMED");
    expect(check(present(issuer, {}, { ...ALICE, name: "x".repeat(101) })).verdict).toBe("MALFORMED");
    expect(check(present(issuer, {}, { ...ALICE, name: "\u00c9".repeat(100) })).verdict).toBe("OK");
    expect(check(present(issuer, {}, { ...ALICE, sex: "X" as "L" })).verdict).toBe("MALFORMED");
    expect(check(present(issuer, { cti: new Uint8Array(7) })).verdict).toBe("MALFORMED");
    expect(check(present(issuer, { cti: new Uint8Array(17) })).verdict).toBe("MALFORMED");
  });

  it("UNSUPPORTED_ALG for anything but EdDSA", () => {
    const t = withProtected(issuer, new Map<number, unknown>([[1, -7], [4, issuer.signer.kid]]));
    expect(check(t).verdict).toBe("UNSUPPORTED_ALG");
  });

  it("MALFORMED for a crit header (RFC 9052 3.1, SPEC 2), even on a code whose signature verifies", () => {
    expect(check(present(issuer, { protectedExtra: new Map() })).verdict).toBe("OK"); // the same code without crit
    for (const crit of [[99], [-70000], ["x-ext"], [1], []]) {
      expect(check(present(issuer, { protectedExtra: new Map([[2, crit]]) })).verdict, JSON.stringify(crit)).toBe("MALFORMED");
    }
    expect(check(present(issuer, { unprotected: new Map([[2, [99]]]) })).verdict).toBe("MALFORMED");
    expect(check(present(issuer, { unprotected: new Map([[3, 0]]) })).verdict).toBe("OK"); // other unprotected labels are ignored
  });

  it("UNKNOWN_KEY for a kid outside the key set", () => {
    const r = check(present(stranger));
    expect(r.verdict).toBe("UNKNOWN_KEY");
    expect(r.display).toBeUndefined();
  });

  it("KEY_NOT_VALID: wrong usage, before nbf, after exp, revoked kid", () => {
    expect(check(present(cardOnly)).verdict).toBe("KEY_NOT_VALID");
    expect(check(present(future, { iat: T0 + 10 })).verdict).toBe("KEY_NOT_VALID");
    expect(check(present(past)).verdict).toBe("KEY_NOT_VALID");
    const revokedKid = keysetOf(root, [issuer], { revoked: [issuer.signer.kid] });
    expect(check(present(issuer), T0 + 10, revokedKid).verdict).toBe("KEY_NOT_VALID");
    // Key window edges: nbf and exp themselves are inside.
    expect(check(present(future, { iat: T0 + 1000 }), T0 + 1000).verdict).toBe("OK");
    expect(check(present(future, { iat: T0 + 1990 }), T0 + 2000).verdict).toBe("OK");
    expect(check(present(future, { iat: T0 + 1990 }), T0 + 2001).verdict).toBe("KEY_NOT_VALID");
  });

  it("BAD_SIGNATURE for a one-bit change in the signature or the payload", () => {
    const good = present(issuer);
    expect(check(flipBit(good, 1)).verdict).toBe("BAD_SIGNATURE"); // last signature byte
    expect(check(flipBit(good, 70)).verdict).toBe("BAD_SIGNATURE"); // inside the payload
    expect(check(flipBit(good, 1)).display).toBeUndefined();
  });

  it("VALIDITY_TOO_LONG past maxValidity or with exp <= iat", () => {
    expect(check(present(issuer, { ttl: 91 })).verdict).toBe("VALIDITY_TOO_LONG");
    expect(check(present(issuer, { ttl: 90 })).verdict).toBe("OK");
    expect(check(present(issuer, { ttl: 0 })).verdict).toBe("VALIDITY_TOO_LONG");
  });

  it("NOT_YET_VALID when iat is beyond now + skew", () => {
    expect(check(present(issuer, { iat: T0 + 30 }), T0).verdict).toBe("OK");
    expect(check(present(issuer, { iat: T0 + 31 }), T0).verdict).toBe("NOT_YET_VALID");
  });

  it("EXPIRED exactly at exp + skew, not one second before", () => {
    const t = present(issuer); // iat T0, exp T0 + 90, skew 30
    expect(check(t, T0 + 90 + 30 - 1).verdict).toBe("OK");
    expect(check(t, T0 + 90 + 30).verdict).toBe("EXPIRED");
    expect(check(t, T0 + 90 + 30 + 1).verdict).toBe("EXPIRED");
    expect(check(t, T0 + 120 + 3600).display).toBeUndefined();
  });

  it("REVOKED when the cti is on the revocation list", () => {
    const cti = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const revoking = keysetOf(root, [issuer], { revoked: [cti] });
    expect(check(present(issuer, { cti }), T0 + 10, revoking).verdict).toBe("REVOKED");
    expect(check(present(issuer), T0 + 10, revoking).verdict).toBe("OK");
  });

  it("replay policy: reject gives REPLAYED, warn flags ALREADY_USED, off ignores", () => {
    const t = present(issuer);
    for (const [mode, second, warning] of [
      [REPLAY_REJECT, "REPLAYED", []],
      [REPLAY_WARN, "OK", ["ALREADY_USED"]],
      [REPLAY_OFF, "OK", []],
    ] as const) {
      const keyset = keysetOf(root, [issuer], { replay: mode });
      const cache = new ReplayCache(16);
      expect(check(t, T0 + 10, keyset, cache).verdict).toBe("OK");
      const r = check(t, T0 + 20, keyset, cache);
      expect(r.verdict).toBe(second);
      expect(r.warnings).toEqual(warning);
      // A different presentation of the same person is not a replay.
      expect(check(present(issuer), T0 + 20, keyset, cache).verdict).toBe("OK");
    }
  });

  it("CLOCK_NOT_SET: an untrusted clock never says OK", () => {
    const r = verifyPresentation(present(issuer), ks, at(T0 + 10, false), new ReplayCache(4));
    expect(r.verdict).toBe("CLOCK_NOT_SET");
    expect(r.warnings).toContain("CLOCK_NOT_TRUSTED");
    expect(r.display).toBeUndefined();
    // A bad signature is still called bad.
    expect(verifyPresentation(flipBit(present(issuer), 1), ks, at(0, false), new ReplayCache(4)).verdict).toBe(
      "BAD_SIGNATURE",
    );
  });

  it("NO_KEYSET: a device without a key set never says OK", () => {
    const r = verifyPresentation(present(issuer), undefined, at(T0), new ReplayCache(4));
    expect(r.verdict).toBe("NO_KEYSET");
    expect(r.warnings).toContain("NO_KEYSET");
  });

  it("a stale key set still verifies, with a warning", () => {
    const stale = keysetOf(root, [issuer], { nextUpdate: T0 });
    const r = check(present(issuer), T0 + 10, stale);
    expect(r.verdict).toBe("OK");
    expect(r.warnings).toEqual(["KEYSET_STALE"]);
  });

  it("random and mutated input never throws and never says OK", () => {
    const good = present(issuer);
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const A = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    for (let i = 0; i < 3000; i++) {
      let t: string;
      if (i % 2 === 0) {
        const chars = good.split("");
        const n = 1 + Math.floor(rnd() * 4);
        for (let k = 0; k < n; k++) chars[4 + Math.floor(rnd() * (chars.length - 4))] = A[Math.floor(rnd() * 45)];
        t = chars.join("");
      } else {
        let s = "PD1:";
        const len = Math.floor(rnd() * 300);
        for (let k = 0; k < len; k++) s += A[Math.floor(rnd() * 45)];
        t = s;
      }
      if (t === good) continue;
      const r = check(t);
      expect(r.verdict).not.toBe("OK");
    }
  });
});
