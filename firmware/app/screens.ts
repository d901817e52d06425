// From an outcome to what the guard sees: green with the holder's fields on
// OK, red with only the reason otherwise, amber "not ready" when the device
// itself cannot verify, amber notes for warnings. What goes where on a panel
// is app/layout.ts.
import type { Outcome } from "../core/outcome";
import type { Warning } from "../core/verdict";
import type { Screen } from "../hal/display";
import { displayText } from "./display-text";
import { MAX_NAME_CHARS } from "../core/limits";
import { type Lang, type Strings, strings } from "./i18n";

/** Characters of a credential's text on one screen line (a 2.4" display holds about 40). */
export const NAME_CHARS = 32;
export const FIELD_CHARS = 24;

// Given the screen's words, not its language: on Espruino a language's words made twice at once
// (about 160 variables each) ran a 2,950-variable board out of memory at its first screen.
function warningLines(s: Strings, warnings: Warning[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < warnings.length; i++) out.push(s.warnings[warnings[i]]);
  return out;
}

function two(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/** "1990-12-05" (the credential's form, claims.ts checks it) -> "05-12-1990", as people read a date here. */
export function dayMonthYear(iso: string): string {
  if (iso.length !== 10) return iso;
  return iso.substring(8, 10) + "-" + iso.substring(5, 7) + "-" + iso.substring(0, 4);
}

/** "28-11-2026 17:40 WIB": unix seconds in a fixed zone (civil-from-days, H. Hinnant). */
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
  return two(d) + "-" + two(m) + "-" + y + " " + two(Math.floor(secs / 3600)) + ":" + two(Math.floor((secs % 3600) / 60)) + " " + zone;
}

/** What the idle screen tells a technician about the device: its key set and the end of its id. */
export interface DeviceInfo {
  /** The installed key set's version, 0 for none. */
  keysetVersion: number;
  /** Whole days since the key set was issued. */
  keysetAgeDays: number;
  /** The device id in hex (the screen shows its last 4 characters). */
  id: string;
}

/** A device that cannot verify: no key set, or a clock it cannot trust. */
function notReady(warnings: Warning[]): boolean {
  for (let i = 0; i < warnings.length; i++) if (warnings[i] === "NO_KEYSET" || warnings[i] === "CLOCK_NOT_TRUSTED") return true;
  return false;
}

/**
 * Idle: the prompt and the device's own time (a guard can see a wrong clock),
 * the key set's version and age, the device id's last 4. A device that
 * cannot verify says NOT READY on amber, with what is missing, until it is
 * provisioned: never READY.
 */
export function idleScreen(lang: Lang, warnings: Warning[], now: number, offsetMin: number, zone: string, device?: DeviceInfo): Screen {
  const s = strings(lang);
  const clock = formatClock(now, offsetMin, zone);
  const facts: string[] = [];
  let keys = "";
  if (device !== undefined) keys = device.keysetVersion === 0 ? s.noKeys : s.keys + " v" + device.keysetVersion + " (" + device.keysetAgeDays + " " + s.days + ")";
  const corner = device === undefined ? undefined : "ID " + device.id.substring(device.id.length - 4);
  if (notReady(warnings)) {
    facts.push(s.callAdmin);
    facts.push(clock);
    if (keys !== "") facts.push(keys);
    return { kind: "fault", color: "amber", title: s.notReady, lines: [s.callAdmin, s.clock + ": " + clock], warnings: warningLines(s, warnings), facts, corner };
  }
  facts.push(s.scanPrompt);
  facts.push(clock);
  if (keys !== "") facts.push(keys);
  return {
    kind: "idle",
    color: warnings.length > 0 ? "amber" : "neutral",
    title: s.ready,
    lines: [s.scanPrompt, s.clock + ": " + clock],
    warnings: warningLines(s, warnings),
    facts,
    corner,
  };
}

/**
 * The device's flash failed (app/watched-storage.ts): amber NOT READY, call
 * the administrator, until it is repaired; shown idle and for every code or
 * card, since nothing is verified on a store that cannot be kept.
 */
export function storageFaultScreen(lang: Lang, clock: string | undefined, device?: DeviceInfo): Screen {
  const s = strings(lang);
  const facts = [s.callAdmin, s.storageError];
  if (clock !== undefined) facts.push(clock);
  const corner = device === undefined ? undefined : "ID " + device.id.substring(device.id.length - 4);
  return { kind: "fault", color: "amber", title: s.notReady, lines: [s.callAdmin, s.storageError], warnings: [], facts, corner };
}

export function checkingScreen(lang: Lang): Screen {
  return { kind: "checking", color: "neutral", title: strings(lang).checking, lines: [], warnings: [] };
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

/** The verdicts that say the device cannot verify, not that the holder failed. */
export function isDeviceFault(o: Outcome): boolean {
  return o.verdict === "NO_KEYSET" || o.verdict === "CLOCK_NOT_SET";
}

/**
 * A verdict: green with the holder's fields on OK; amber "not ready, call
 * the administrator" when the device cannot verify; amber "try again" for a
 * card not read; red with the reason otherwise. seq (the audit record's
 * number) tells one person's verdict from the next; left/total count down
 * the seconds it stays up.
 */
export function verdictScreen(lang: Lang, o: Outcome, isCard: boolean, seq?: number, left?: number, total?: number): Screen {
  const s = strings(lang);
  const warnings = warningLines(s, beyondVerdict(o));
  const corner = seq === undefined ? undefined : "#" + seq;
  if (o.verdict === "OK" && o.display !== undefined) {
    const d = o.display;
    // The issuer's text goes through displayText: no control, bidi or zero-width character reaches the screen.
    const dob = dayMonthYear(d.dob);
    const lines = [s.name + ": " + displayText(d.name, NAME_CHARS), s.dob + ": " + dob, s.nik + ": " + d.nikMasked, s.issuer + ": " + displayText(d.issuer, FIELD_CHARS)];
    // The panel cuts at a word (app/layout.ts): the issuer goes whole, up to the name's limit.
    const facts = [s.dob + " " + dob, s.nik + " **" + d.nikMasked.substring(d.nikMasked.length - 4), displayText(d.issuer, MAX_NAME_CHARS)];
    if (o.sub !== undefined) {
      lines.push(s.card + ": " + displayText(o.sub, FIELD_CHARS));
      facts.push(s.card + " " + displayText(o.sub, FIELD_CHARS));
    }
    return { kind: "ok", color: "green", title: s.ok, lines, warnings, name: displayText(d.name, MAX_NAME_CHARS), facts, corner, left, total };
  }
  let reason = s.reasons[o.verdict];
  if (isCard && o.verdict === "EXPIRED") reason = s.cardExpired;
  if (isCard && o.verdict === "NOT_YET_VALID") reason = s.cardNotYetValid;
  if (isDeviceFault(o)) {
    return { kind: "fault", color: "amber", title: s.notReady, lines: [s.callAdmin, reason], warnings, facts: [s.callAdmin, reason], corner, left, total };
  }
  if (o.verdict === "CARD_ERROR") return { kind: "retry", color: "amber", title: s.retry, lines: [reason], warnings, corner, left, total };
  return { kind: "refused", color: "red", title: s.rejected, lines: [reason], warnings, corner, left, total };
}
