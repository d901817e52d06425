// What one check (a QR presentation, presentation.ts, or a card, card.ts)
// ends in: a verdict, the warnings beside it, and on OK what the guard sees.
// Both pipelines build it with the same few functions here, so a field
// shown on screen is added in one place.
import { type Bytes, toHex } from "./bytes";
import type { Identity } from "./claims";
import { type Keyset, isStale } from "./keyset";
import type { TrustedTime } from "./trust";
import type { Verdict, Warning } from "./verdict";

/** What the operator sees on OK, and nothing more. */
export interface Display {
  name: string;
  dob: string;
  nikMasked: string; // last 4 digits only
  sex: string;
  issuer: string;
  pob?: string;
}

/**
 * NIK 3201014512900001 -> ************0001. Only the last 4 digits: digits
 * 1-6 are the region and 7-12 the birth date (day + 40 for a woman), so any
 * more, beside the date of birth on the same screen, gives the whole number.
 */
export function maskNik(nik: string): string {
  let stars = "";
  for (let i = 0; i < nik.length - 4; i++) stars += "*";
  return stars + nik.substring(nik.length - 4);
}

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

/** The OK outcome, once everything verified: what the guard sees, and the NIK for the audit log. */
export function accepted(warnings: Warning[], kid: Bytes, idn: Identity, issuer: string): Outcome {
  const o = outcome("OK", warnings, kid);
  o.nik = idn.nik;
  o.display = { name: idn.name, dob: idn.dob, nikMasked: maskNik(idn.nik), sex: idn.sex, issuer };
  if (idn.pob !== undefined) o.display.pob = idn.pob;
  return o;
}
