// The checks that a QR presentation and a card credential share: who signed
// it (SPEC 2 step 1-2) and whether its own validity window holds (steps 4-5).
import type { Sign1 } from "./cose";
import { verifySign1 } from "./cose";
import { type TableSet, tablesFor } from "./ed25519-table";
import { type KeyEntry, type Keyset, findKey, isRevoked } from "./keyset";
import type { Verdict } from "./verdict";

/** The device's time, and whether it can be trusted (set since power loss, not before the build). */
export interface TrustedTime {
  now: number; // unix seconds
  trusted: boolean;
}

export type SignerResult = { ok: true; key: KeyEntry } | { ok: false; verdict: Verdict };

/**
 * SPEC 2 steps 1-2: the kid names a key of this usage, valid now and not
 * revoked, and the signature verifies with it (with its tables, when
 * `tables` holds them). With an untrusted clock the key window cannot be
 * judged: a good signature then ends in CLOCK_NOT_SET.
 */
export function checkSigner(s: Sign1, ks: Keyset, usageBit: number, time: TrustedTime, tables?: TableSet): SignerResult {
  const key = findKey(ks, s.kid);
  if (key === undefined) return { ok: false, verdict: "UNKNOWN_KEY" };
  if ((key.usage & usageBit) === 0) return { ok: false, verdict: "KEY_NOT_VALID" };
  if (time.trusted && (time.now < key.nbf || time.now > key.exp || isRevoked(ks, key.kid))) {
    return { ok: false, verdict: "KEY_NOT_VALID" };
  }
  if (!verifySign1(s, key.publicKey, tablesFor(tables, key.publicKey))) return { ok: false, verdict: "BAD_SIGNATURE" };
  if (!time.trusted) return { ok: false, verdict: "CLOCK_NOT_SET" };
  return { ok: true, key };
}

/** SPEC 2 steps 4-5, with the key set's skew. */
export function checkWindow(iat: number, exp: number, now: number, skew: number): Verdict {
  if (now + skew < iat) return "NOT_YET_VALID";
  if (now - skew >= exp) return "EXPIRED";
  return "OK";
}
