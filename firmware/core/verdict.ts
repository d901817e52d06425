// SPEC section 3: every check ends in exactly one of these codes. They are
// stable across versions: shown to the operator and written to the audit log.
export type Verdict =
  | "OK"
  | "NOT_A_CREDENTIAL"
  | "MALFORMED"
  | "UNSUPPORTED_ALG"
  | "UNKNOWN_KEY"
  | "KEY_NOT_VALID"
  | "BAD_SIGNATURE"
  | "VALIDITY_TOO_LONG"
  | "NOT_YET_VALID"
  | "EXPIRED"
  | "REVOKED"
  | "REPLAYED"
  | "CLOCK_NOT_SET"
  | "NO_KEYSET"
  | "CARD_ERROR"
  | "CARD_AUTH_FAILED";

/** All codes, in SPEC order (audit logs store the index, a single byte). */
export const VERDICTS: Verdict[] = [
  "OK",
  "NOT_A_CREDENTIAL",
  "MALFORMED",
  "UNSUPPORTED_ALG",
  "UNKNOWN_KEY",
  "KEY_NOT_VALID",
  "BAD_SIGNATURE",
  "VALIDITY_TOO_LONG",
  "NOT_YET_VALID",
  "EXPIRED",
  "REVOKED",
  "REPLAYED",
  "CLOCK_NOT_SET",
  "NO_KEYSET",
  "CARD_ERROR",
  "CARD_AUTH_FAILED",
];

/** A verdict's index in VERDICTS: the byte the audit log and its export carry. */
export function verdictIndex(v: Verdict): number {
  for (let i = 0; i < VERDICTS.length; i++) if (VERDICTS[i] === v) return i;
  return 0;
}

/** Warnings shown beside a verdict, never instead of one. */
export type Warning =
  | "KEYSET_STALE" // past next_update: still verifies (SPEC 3)
  | "CLOCK_NOT_TRUSTED" // never green
  | "ALREADY_USED" // replay policy "warn": this code was accepted before
  | "NO_KEYSET"; // never green
