// SPEC section 5 verdicts for a card, from what a reader brings back.
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { cardAuthMessage, verifyCard, type CardRead } from "../firmware/core/card";
import { ed } from "../host/issuer/ed";
import { issueCardCredential } from "../host/issuer/issuer";
import { ALICE, T0, keysetOf, makeKey } from "./support/fixtures";

const root = makeKey(["root"]);
const cardIssuer = makeKey(["card"]);
const qrIssuer = makeKey(["qr"]);
const ks = keysetOf(root, [cardIssuer, qrIssuer], { revoked: [new Uint8Array(Buffer.from("KTP-REVOKED"))] });

function card(serial = "KTP-0001", o: { iat?: number; exp?: number; issuer?: typeof cardIssuer } = {}) {
  const secretKey = ed.utils.randomSecretKey();
  const credential = issueCardCredential((o.issuer ?? cardIssuer).signer, ALICE, {
    serial,
    iat: o.iat ?? T0 - 86400,
    exp: o.exp ?? T0 + 5 * 365 * 86400,
    cardPublicKey: ed.getPublicKey(secretKey),
  });
  return { credential, secretKey };
}

function tap(c: { credential: Uint8Array; secretKey: Uint8Array }, signWith = c.secretKey): CardRead {
  const challenge = new Uint8Array(randomBytes(32));
  return { credential: c.credential, challenge, signature: ed.sign(cardAuthMessage(challenge), signWith) };
}

const now = { now: T0, trusted: true };

describe("card verdicts", () => {
  it("a genuine card is OK with its serial and the holder's display fields", () => {
    const r = verifyCard(tap(card()), ks, now);
    expect(r.verdict).toBe("OK");
    expect(r.sub).toBe("KTP-0001");
    expect(r.display?.nikMasked).toBe("************0001");
    expect(r.display?.name).toBe("Siti Aminah");
  });

  it("a clone (same file, another private key) is CARD_AUTH_FAILED", () => {
    const genuine = card();
    const r = verifyCard(tap(genuine, ed.utils.randomSecretKey()), ks, now);
    expect(r.verdict).toBe("CARD_AUTH_FAILED");
    expect(r.display).toBeUndefined();
  });

  it("a replayed answer to an old challenge is CARD_AUTH_FAILED", () => {
    const c = card();
    const old = tap(c);
    const fresh = { ...old, challenge: new Uint8Array(randomBytes(32)) };
    expect(verifyCard(fresh, ks, now).verdict).toBe("CARD_AUTH_FAILED");
    expect(verifyCard({ ...old, challenge: old.challenge.slice(0, 31) }, ks, now).verdict).toBe("CARD_AUTH_FAILED");
  });

  it("expired, not yet valid, revoked serial, wrong key usage, tampered file", () => {
    expect(verifyCard(tap(card("KTP-1", { iat: T0 - 1000, exp: T0 - 100 })), ks, now).verdict).toBe("EXPIRED");
    expect(verifyCard(tap(card("KTP-1", { iat: T0 + 100, exp: T0 + 1000 })), ks, now).verdict).toBe("NOT_YET_VALID");
    expect(verifyCard(tap(card("KTP-REVOKED")), ks, now).verdict).toBe("REVOKED");
    expect(verifyCard(tap(card("KTP-1", { issuer: qrIssuer })), ks, now).verdict).toBe("KEY_NOT_VALID");
    const c = card();
    const bad = c.credential.slice();
    bad[bad.length - 1] ^= 1;
    expect(verifyCard(tap({ credential: bad, secretKey: c.secretKey }), ks, now).verdict).toBe("BAD_SIGNATURE");
    expect(verifyCard(tap({ credential: bad.slice(0, 20), secretKey: c.secretKey }), ks, now).verdict).toBe("MALFORMED");
  });

  it("no key set or no trusted clock never says OK", () => {
    expect(verifyCard(tap(card()), undefined, now).verdict).toBe("NO_KEYSET");
    expect(verifyCard(tap(card()), ks, { now: T0, trusted: false }).verdict).toBe("CLOCK_NOT_SET");
  });
});
