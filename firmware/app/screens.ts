// From an outcome to what the guard sees: green with the holder's fields on
// OK, red with only the reason otherwise, amber notes for warnings.
import type { Outcome } from "../core/outcome";
import type { Warning } from "../core/verdict";
import type { Screen } from "../hal/display";
import { displayText } from "./display-text";
import { type Lang, strings } from "./i18n";

/** Characters of a credential's text on one screen line (a 2.4" display holds about 40). */
export const NAME_CHARS = 32;
export const FIELD_CHARS = 24;

function warningLines(lang: Lang, warnings: Warning[]): string[] {
  const s = strings(lang);
  const out: string[] = [];
  for (let i = 0; i < warnings.length; i++) out.push(s.warnings[warnings[i]]);
  return out;
}

function two(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/** "2026-11-28 17:40 WIB": unix seconds in a fixed zone (civil-from-days, H. Hinnant). */
export function formatClock(unix: number, offsetMin: number, zone: string): string {
  const t = unix + offsetMin * 60;
  const days = Math.floor(t / 86400);
  const secs = t - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return y + "-" + two(m) + "-" + two(d) + " " + two(Math.floor(secs / 3600)) + ":" + two(Math.floor((secs % 3600) / 60)) + " " + zone;
}

/** Idle: the prompt and the device's own time, so a guard can see a wrong clock. */
export function idleScreen(lang: Lang, warnings: Warning[], now: number, offsetMin: number, zone: string): Screen {
  const s = strings(lang);
  return {
    color: warnings.length > 0 ? "amber" : "neutral",
    title: s.ready,
    lines: [s.scanPrompt, s.clock + ": " + formatClock(now, offsetMin, zone)],
    warnings: warningLines(lang, warnings),
  };
}

export function checkingScreen(lang: Lang): Screen {
  return { color: "neutral", title: strings(lang).checking, lines: [], warnings: [] };
}

/** A warning that only repeats the verdict's own reason is left out. */
function beyondVerdict(o: Outcome): Warning[] {
  const out: Warning[] = [];
  for (let i = 0; i < o.warnings.length; i++) {
    const w = o.warnings[i];
    if (w === "NO_KEYSET" && o.verdict === "NO_KEYSET") continue;
    if (w === "CLOCK_NOT_TRUSTED" && o.verdict === "CLOCK_NOT_SET") continue;
    out.push(w);
  }
  return out;
}

export function verdictScreen(lang: Lang, o: Outcome, isCard: boolean): Screen {
  const s = strings(lang);
  const warnings = warningLines(lang, beyondVerdict(o));
  if (o.verdict === "OK" && o.display !== undefined) {
    const d = o.display;
    // The issuer's text goes through displayText: no control, bidi or zero-width character reaches the screen.
    const lines = [
      s.name + ": " + displayText(d.name, NAME_CHARS),
      s.dob + ": " + d.dob,
      s.nik + ": " + d.nikMasked,
      s.issuer + ": " + displayText(d.issuer, FIELD_CHARS),
    ];
    if (o.sub !== undefined) lines.push(s.card + ": " + displayText(o.sub, FIELD_CHARS));
    return { color: "green", title: s.ok, lines, warnings };
  }
  let reason = s.reasons[o.verdict];
  if (isCard && o.verdict === "EXPIRED") reason = s.cardExpired;
  if (isCard && o.verdict === "NOT_YET_VALID") reason = s.cardNotYetValid;
  return { color: "red", title: s.rejected, lines: [reason], warnings };
}
