// Ordering a backlog of scanned lines before any signature work: a flood of
// lines that each force an Ed25519 check (30-200 ms on the slow images) must
// not keep a genuine code waiting. triage() reads a line the cheap way
// (prefix, Base45, CBOR, the kid, the claims' times) and says how much it
// deserves the next verification. It decides nothing: a line that is
// verified goes through verifyPresentation whole, and nothing read here is
// shown or trusted. Cost: a Base45 and two CBOR decodes, no SHA-512, no curve.
import { base45Decode } from "./base45";
import { parsePresentationClaims } from "./claims";
import { decodeSign1 } from "./cose";
import { type Keyset, UsageBits, findKey, isRevoked } from "./keyset";
import { MAX_QR_TEXT, QR_PREFIX } from "./presentation";
import { type TrustedTime, checkWindow } from "./trust";
import { validityTooLong } from "./policy";

/** Not a pindai code: its verdict needs no signature check. */
export const TRIAGE_JUNK = 0;
/** A pindai code that cannot be OK: damaged, an unknown or unfit key, outside its window, revoked. */
export const TRIAGE_DOOMED = 1;
/** Could be OK: only the signature can tell. */
export const TRIAGE_CANDIDATE = 2;

export function triage(text: string, keyset: Keyset | undefined, time: TrustedTime): number {
  if (text.substring(0, QR_PREFIX.length) !== QR_PREFIX) return TRIAGE_JUNK;
  if (keyset === undefined || !time.trusted || text.length > MAX_QR_TEXT) return TRIAGE_DOOMED;
  const raw = base45Decode(text.substring(QR_PREFIX.length));
  if (!raw.ok) return TRIAGE_DOOMED;
  const cose = decodeSign1(raw.bytes);
  if (!cose.ok) return TRIAGE_DOOMED;
  const key = findKey(keyset, cose.sign1.kid);
  if (key === undefined || (key.usage & UsageBits.QR) === 0 || time.now < key.nbf || time.now > key.exp) return TRIAGE_DOOMED;
  const c = parsePresentationClaims(cose.sign1.payload);
  if (c === undefined || validityTooLong(c.iat, c.exp, keyset.policy)) return TRIAGE_DOOMED;
  if (checkWindow(c.iat, c.exp, time.now, keyset.policy.skew) !== "OK" || isRevoked(keyset, c.cti)) return TRIAGE_DOOMED;
  return TRIAGE_CANDIDATE;
}
