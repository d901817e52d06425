// The physical card (SPEC section 5): the credential file read from the card
// must verify like a QR presentation (with a card-usage key and no 90-second
// limit), its serial must not be revoked, and the card must prove it holds
// the private key named in cnf by signing a fresh challenge.
import { type Bytes, concat, fromAscii, utf8Encode } from "./bytes";
import { decodeSign1 } from "./cose";
import { parseCardClaims } from "./claims";
import { ed25519Verify } from "./ed25519";
import type { TableSet } from "./ed25519-table";
import { type Keyset, UsageBits, isRevoked } from "./keyset";
import { type Outcome, accepted, deviceWarnings, outcome } from "./outcome";
import { type TrustedTime, checkSigner, checkWindow } from "./trust";
import { MAX_CREDENTIAL_BYTES } from "./limits";

export const CARD_AUTH_PREFIX = "PD1-AA";
export const CHALLENGE_LENGTH = 32;
export { MAX_CREDENTIAL_BYTES };

/** What the reader brings back from a card: its file and its answer to our challenge. */
export interface CardRead {
  credential: Bytes;
  challenge: Bytes;
  signature: Bytes;
}

/** The bytes a card signs for INTERNAL AUTHENTICATE: "PD1-AA" || challenge. */
export function cardAuthMessage(challenge: Bytes): Bytes {
  return concat([fromAscii(CARD_AUTH_PREFIX), challenge]);
}

/** A card read, judged against the key set (with the issuer key's tables, when `tables` holds them). */
export function verifyCard(read: CardRead, keyset: Keyset | undefined, time: TrustedTime, tables?: TableSet): Outcome {
  const warnings = deviceWarnings(keyset, time);
  if (keyset === undefined) return outcome("NO_KEYSET", warnings);
  if (read.credential.length > MAX_CREDENTIAL_BYTES) return outcome("MALFORMED", warnings);
  const cose = decodeSign1(read.credential);
  if (!cose.ok) return outcome(cose.verdict, warnings);
  const s = cose.sign1;

  const signer = checkSigner(s, keyset, UsageBits.CARD, time, tables);
  if (!signer.ok) return outcome(signer.verdict, warnings, s.kid);

  const c = parseCardClaims(s.payload);
  if (c === undefined) return outcome("MALFORMED", warnings, s.kid);
  if (!(c.iat < c.exp)) return outcome("VALIDITY_TOO_LONG", warnings, s.kid);
  const window = checkWindow(c.iat, c.exp, time.now, keyset.policy.skew);
  if (window !== "OK") return outcome(window, warnings, s.kid);
  if (isRevoked(keyset, utf8Encode(c.sub))) return outcome("REVOKED", warnings, s.kid);

  // A copy of the file is not the card: only the holder of cnf's key can sign our challenge.
  if (read.challenge.length !== CHALLENGE_LENGTH || read.signature.length !== 64) {
    return outcome("CARD_AUTH_FAILED", warnings, s.kid);
  }
  if (ed25519Verify(c.cardKey, cardAuthMessage(read.challenge), read.signature) !== "OK") {
    return outcome("CARD_AUTH_FAILED", warnings, s.kid);
  }

  const o = accepted(warnings, s.kid, c.idn, c.iss);
  o.sub = c.sub;
  return o;
}
