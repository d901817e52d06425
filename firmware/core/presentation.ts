// The 90-second QR (SPEC section 2), from the scanned text to one verdict:
//   text -> "PD1:" -> Base45 -> COSE_Sign1 -> signer key -> Ed25519
//        -> claims -> validity -> revocation -> replay -> verdict
// Nothing from the payload is read before the signature has verified.
import { type Bytes, toHex } from "./bytes";
import { base45Decode } from "./base45";
import { decodeSign1 } from "./cose";
import { type PresentationClaims, parsePresentationClaims } from "./claims";
import { type Keyset, UsageBits, isRevoked } from "./keyset";
import { REPLAY_OFF, REPLAY_REJECT, rememberUntil, validityTooLong } from "./policy";
import type { ReplayMemory } from "./replay";
import type { TableSet } from "./ed25519-table";
import { MAX_QR_TEXT } from "./limits";
import { type TrustedTime, checkSigner, checkWindow } from "./trust";
import type { Warning } from "./verdict";
import { type Outcome, accepted, deviceWarnings, outcome } from "./outcome";

export const QR_PREFIX = "PD1:";
export { MAX_QR_TEXT };

/** A scanned QR text, judged against the key set (with the issuer key's tables, when `tables` holds them). */
export function verifyPresentation(
  text: string,
  keyset: Keyset | undefined,
  time: TrustedTime,
  replay: ReplayMemory,
  tables?: TableSet,
): Outcome {
  const warnings = deviceWarnings(keyset, time);
  if (text.substring(0, QR_PREFIX.length) !== QR_PREFIX) return outcome("NOT_A_CREDENTIAL", warnings);
  if (keyset === undefined) return outcome("NO_KEYSET", warnings);
  if (text.length > MAX_QR_TEXT) return outcome("MALFORMED", warnings);

  const raw = base45Decode(text.substring(QR_PREFIX.length));
  if (!raw.ok) return outcome("MALFORMED", warnings);
  const cose = decodeSign1(raw.bytes);
  if (!cose.ok) return outcome(cose.verdict, warnings);
  const s = cose.sign1;

  const signer = checkSigner(s, keyset, UsageBits.QR, time, tables);
  if (!signer.ok) return outcome(signer.verdict, warnings, s.kid);

  // Signature verified: the claims may now be read.
  const c = parsePresentationClaims(s.payload);
  if (c === undefined) return outcome("MALFORMED", warnings, s.kid);
  const o = signedOutcome(c, keyset, time, replay, warnings, s.kid);
  o.iat = c.iat;
  return o;
}

function signedOutcome(c: PresentationClaims, keyset: Keyset, time: TrustedTime, replay: ReplayMemory, warnings: Warning[], kid: Bytes): Outcome {
  const policy = keyset.policy;
  if (validityTooLong(c.iat, c.exp, policy)) return outcome("VALIDITY_TOO_LONG", warnings, kid);
  const window = checkWindow(c.iat, c.exp, time.now, policy.skew);
  if (window !== "OK") return outcome(window, warnings, kid);
  if (isRevoked(keyset, c.cti)) return outcome("REVOKED", warnings, kid);

  const cti = toHex(c.cti);
  if (policy.replay !== REPLAY_OFF && replay.seen(cti, time.now)) {
    if (policy.replay === REPLAY_REJECT) return outcome("REPLAYED", warnings, kid);
    warnings.push("ALREADY_USED");
  } else if (policy.replay !== REPLAY_OFF) {
    replay.remember(cti, rememberUntil(c.exp, policy));
  }

  const o = accepted(warnings, kid, c.idn, c.iss);
  o.cti = cti;
  return o;
}
