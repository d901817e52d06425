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

/** Warnings shown beside a verdict, never instead of one. */
export type Warning =
  | "KEYSET_STALE" // past next_update: still verifies (SPEC 3)
  | "CLOCK_NOT_TRUSTED" // never green
  | "ALREADY_USED" // replay policy "warn": this code was accepted before
  | "NO_KEYSET"; // never green

/** What the operator sees on OK, and nothing more. */
export interface Display {
  name: string;
  dob: string;
  nikMasked: string; // first 6 and last 4 digits
  sex: string;
  issuer: string;
  pob?: string;
}

/** NIK 3201011234560001 -> 320101******0001 (the guard sees enough to match, not the number). */
export function maskNik(nik: string): string {
  let stars = "";
  for (let i = 6; i < nik.length - 4; i++) stars += "*";
  return nik.substring(0, 6) + stars + nik.substring(nik.length - 4);
}
