// The 90-second QR (SPEC section 2), from the scanned text to one verdict:
//   text -> "PD1:" -> Base45 -> COSE_Sign1 -> signer key -> Ed25519
//        -> claims -> validity -> revocation -> replay -> verdict
// Nothing from the payload is read before the signature has verified.
import { type Bytes, toHex } from "./bytes";
import { base45Decode } from "./base45";
import { decodeSign1 } from "./cose";
import { type Identity, type PresentationClaims, parsePresentationClaims } from "./claims";
import { type Keyset, REPLAY_OFF, REPLAY_REJECT, UsageBits, isRevoked, isStale } from "./keyset";
import type { ReplayMemory } from "./replay";
import type { TableSet } from "./ed25519-table";
import { MAX_QR_TEXT } from "./limits";
import { type TrustedTime, checkSigner, checkWindow } from "./trust";
import { type Display, type Verdict, type Warning, maskNik } from "./verdict";

export const QR_PREFIX = "PD1:";
export { MAX_QR_TEXT };

export interface Outcome {
  verdict: Verdict;
  warnings: Warning[];
  /** Signer kid (hex) once the structure decoded; for the audit log. */
  kid?: string;
  /** Only when verdict is OK. */
  display?: Display;
  /** Only when verdict is OK: the NIK, for the audit log's keyed hash (per its policy). Never shown whole. */
  nik?: string;
  /** Presentation id (hex), only after the signature verified. */
  cti?: string;
  /** The code's iat, once its signature verified: the device's time floor rises with it. */
  iat?: number;
  /** Card serial, only for a verified card. */
  sub?: string;
}

export function outcome(verdict: Verdict, warnings: Warning[], kid?: Bytes): Outcome {
  const o: Outcome = { verdict, warnings };
  if (kid !== undefined) o.kid = toHex(kid);
  return o;
}

/** Warnings that stand whatever the code says (SPEC 3). */
export function deviceWarnings(keyset: Keyset | undefined, time: TrustedTime): Warning[] {
  const w: Warning[] = [];
  if (keyset === undefined) w.push("NO_KEYSET");
  if (!time.trusted) w.push("CLOCK_NOT_TRUSTED");
  if (keyset !== undefined && time.trusted && isStale(keyset, time.now)) w.push("KEYSET_STALE");
  return w;
}

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
  if (!(c.iat < c.exp) || c.exp - c.iat > policy.maxValidity) return outcome("VALIDITY_TOO_LONG", warnings, kid);
  const window = checkWindow(c.iat, c.exp, time.now, policy.skew);
  if (window !== "OK") return outcome(window, warnings, kid);
  if (isRevoked(keyset, c.cti)) return outcome("REVOKED", warnings, kid);

  const cti = toHex(c.cti);
  if (policy.replay !== REPLAY_OFF && replay.seen(cti, time.now)) {
    if (policy.replay === REPLAY_REJECT) return outcome("REPLAYED", warnings, kid);
    warnings.push("ALREADY_USED");
  } else if (policy.replay !== REPLAY_OFF) {
    replay.remember(cti, c.exp + policy.skew);
  }

  const o = accepted(warnings, kid, c.idn, c.iss);
  o.cti = cti;
  return o;
}

/** The OK outcome, once everything verified: what the guard sees, and the NIK for the audit log. */
export function accepted(warnings: Warning[], kid: Bytes, idn: Identity, issuer: string): Outcome {
  const o = outcome("OK", warnings, kid);
  o.nik = idn.nik;
  o.display = { name: idn.name, dob: idn.dob, nikMasked: maskNik(idn.nik), sex: idn.sex, issuer };
  if (idn.pob !== undefined) o.display.pob = idn.pob;
  return o;
}
