// SPEC section 4: a key set is trusted only through a compiled-in root, and
// bad bytes never crash the loader.
import { describe, expect, it } from "vitest";
import { installDecision, loadKeyset } from "../firmware/core/keyset";
import { keysetPayload, sign1 } from "../host/issuer/cose-sign";
import { T0, entryOf, keysetOf, makeKey, rootOf, signKeyset } from "./support/fixtures";

const root = makeKey(["root"]);
const root2 = makeKey(["root"]);
const issuer = makeKey(["qr", "card"]);

describe("key set loading", () => {
  it("loads with its root and exposes keys, policy and revocations", () => {
    const bytes = signKeyset(root, [issuer], { version: 7, revoked: [new Uint8Array([1, 2, 3])], skew: 12, maxValidity: 60, replay: 2 });
    const r = loadKeyset(bytes, [rootOf(root2), rootOf(root)]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.keyset.version).toBe(7);
    expect(r.keyset.keys).toHaveLength(1);
    expect(Buffer.from(r.keyset.keys[0].publicKey)).toEqual(Buffer.from(issuer.publicKey));
    expect(r.keyset.keys[0].usage).toBe(3);
    expect(r.keyset.policy).toEqual({ skew: 12, maxValidity: 60, replay: 2 });
    expect(r.keyset.revoked.map((b) => Buffer.from(b).toString("hex"))).toEqual(["010203"]);
  });

  it("rejects a key set from another root, and a tampered one", () => {
    const bytes = signKeyset(root, [issuer]);
    const other = loadKeyset(bytes, [rootOf(root2)]);
    expect(other.ok ? "OK" : other.verdict).toBe("UNKNOWN_KEY");
    const tampered = bytes.slice();
    tampered[tampered.length - 70] ^= 0x01; // inside the payload
    const t = loadKeyset(tampered, [rootOf(root)]);
    expect(t.ok ? "OK" : t.verdict).toBe("BAD_SIGNATURE");
  });

  it("an issuer key cannot sign a key set", () => {
    const bytes = signKeyset(issuer, [issuer]);
    const r = loadKeyset(bytes, [rootOf(root)]);
    expect(r.ok).toBe(false);
  });

  it("every truncation and every single-byte corruption is rejected without throwing", () => {
    const bytes = signKeyset(root, [issuer]);
    for (let n = 0; n < bytes.length; n++) expect(loadKeyset(bytes.slice(0, n), [rootOf(root)]).ok).toBe(false);
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes.slice();
      b[i] ^= 0x5a;
      expect(loadKeyset(b, [rootOf(root)]).ok, `byte ${i}`).toBe(false);
    }
  });

  it("a key entry whose kid is not SHA-256(public key)[0:8] makes the whole signed set MALFORMED", () => {
    const other = makeKey(["qr"]);
    const good = entryOf(issuer);
    const entries = [
      { ...good, kid: other.signer.kid }, // another key's id
      { ...good, kid: good.kid.map((b, i) => (i === 7 ? b ^ 1 : b)) }, // one bit off
    ];
    for (const e of entries) {
      const payload = keysetPayload({ version: 1, issued: T0, nextUpdate: T0 + 1, keys: [entryOf(other), e], revoked: [], policy: { skew: 30, maxValidity: 90, replay: 1 } });
      const r = loadKeyset(sign1(root.signer.secretKey, root.signer.kid, payload), [rootOf(root)]);
      expect(r.ok ? "OK" : r.verdict + ": " + r.reason).toBe("MALFORMED: key entry 1: kid is not SHA-256(public key)[0:8]");
    }
    const fine = keysetPayload({ version: 1, issued: T0, nextUpdate: T0 + 1, keys: [entryOf(other), good], revoked: [], policy: { skew: 30, maxValidity: 90, replay: 1 } });
    expect(loadKeyset(sign1(root.signer.secretKey, root.signer.kid, fine), [rootOf(root)]).ok).toBe(true);
  });

  it("policy values outside SPEC ranges are MALFORMED even when signed", () => {
    for (const policy of [
      { skew: 301, maxValidity: 90, replay: 1 },
      { skew: 30, maxValidity: 0, replay: 1 },
      { skew: 30, maxValidity: 301, replay: 1 },
      { skew: 30, maxValidity: 90, replay: 3 },
    ]) {
      const payload = keysetPayload({ version: 1, issued: T0, nextUpdate: T0 + 1, keys: [entryOf(issuer)], revoked: [], policy });
      const r = loadKeyset(sign1(root.signer.secretKey, root.signer.kid, payload), [rootOf(root)]);
      expect(r.ok ? "OK" : r.verdict, JSON.stringify(policy)).toBe("MALFORMED");
    }
  });

  it("installs only a greater version; the same bytes again are a no-op", () => {
    const v1 = keysetOf(root, [issuer], { version: 1 });
    const v2 = keysetOf(root, [issuer], { version: 2 });
    const v2b = keysetOf(root, [issuer], { version: 2, skew: 5 });
    expect(installDecision(undefined, v1)).toBe("INSTALL");
    expect(installDecision(v1, v2)).toBe("INSTALL");
    expect(installDecision(v2, v2)).toBe("SAME");
    expect(installDecision(v2, v2b)).toBe("OLDER");
    expect(installDecision(v2, v1)).toBe("OLDER");
  });
});
