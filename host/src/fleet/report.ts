// What the fleet database says, for people: the device list, what needs
// attention (stale key sets, clock drift, devices not seen, bursts of
// forgeries), and the log records as lines or as CSV with one documented
// column set.
import { KEYSET_UPDATE_DAYS } from "../../../firmware/core/policy";
import type { DeviceRow, StoredRecord } from "./store";

const DAY = 86400;
export const iso = (t: number | null | undefined) => (t === null || t === undefined ? "-" : new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"));

/** Verdicts that mean someone showed a forgery or a clone. */
export const FORGERY_VERDICTS = ["BAD_SIGNATURE", "CARD_AUTH_FAILED", "UNKNOWN_KEY"];

export interface KeysetDates {
  version: number;
  issued: number;
  nextUpdate: number;
}

/** When a device's key set goes stale: its next_update, or issued + 30 days if that is earlier; undefined when the fleet never saw that set. */
export function staleAt(version: number | null, keysets: KeysetDates[]): number | undefined {
  const k = keysets.find((x) => x.version === version);
  return k === undefined ? undefined : Math.min(k.nextUpdate, k.issued + KEYSET_UPDATE_DAYS * DAY);
}

export interface DeviceView extends DeviceRow {
  keysetStaleAt: number | null;
  records: number;
  /** What needs attention, as short phrases. */
  attention: string[];
}

export interface StatusOptions {
  now: number;
  /** Not seen for this many days is flagged. */
  days: number;
  /** Clock drift beyond this many seconds is flagged. */
  driftS: number;
  /** Forgery verdicts in the window at or above this count are flagged. */
  burst: number;
  windowS: number;
}

export function view(d: DeviceRow, keysets: KeysetDates[], records: number, forgeries: number, total: number, o: StatusOptions): DeviceView {
  const attention: string[] = [];
  const stale = d.keysetVersion ? staleAt(d.keysetVersion, keysets) : undefined;
  if (d.revokedAt) attention.push(`REVOKED ${iso(d.revokedAt)}${d.revokedReason ? ` (${d.revokedReason})` : ""}`);
  else {
    if (d.lastSeen === null || o.now - d.lastSeen > o.days * DAY) attention.push(`not seen for ${d.lastSeen === null ? "ever" : Math.floor((o.now - d.lastSeen) / DAY) + " days"}`);
    if (!d.keysetVersion) attention.push("no key set");
    else if (stale !== undefined && stale <= o.now) attention.push(`key set v${d.keysetVersion} STALE since ${iso(stale)}`);
    else if (stale !== undefined && stale - o.now < 7 * DAY) attention.push(`key set v${d.keysetVersion} goes stale ${iso(stale)}`);
    if (d.clockTrusted === false) attention.push("clock NOT TRUSTED");
    else if (d.clockDrift !== null && Math.abs(d.clockDrift) > o.driftS) attention.push(`clock drift ${d.clockDrift > 0 ? "+" : ""}${d.clockDrift} s`);
    if (forgeries >= o.burst) attention.push(`${forgeries} forgeries (${FORGERY_VERDICTS.join("/")}) of ${total} verdicts in ${Math.round(o.windowS / 3600)} h: someone is trying forgeries`);
  }
  return { ...d, keysetStaleAt: stale ?? null, records, attention };
}

export function deviceLine(v: DeviceView): string {
  return [
    v.id,
    v.label ?? "-",
    v.location ?? "-",
    v.address ?? "-",
    `seen ${iso(v.lastSeen)}`,
    `fw ${v.firmware ?? "-"}`,
    v.keysetVersion ? `keyset v${v.keysetVersion} (stale ${v.keysetStaleAt ? iso(v.keysetStaleAt) : "date unknown"})` : "keyset none",
    `drift ${v.clockDrift === null ? "-" : (v.clockDrift > 0 ? "+" : "") + v.clockDrift + " s"}`,
    `${v.records} records`,
    ...(v.attention.length ? ["!! " + v.attention.join("; ")] : []),
  ].join("  ");
}

/** The CSV's columns, in order (README: fleet logs). */
export const CSV_COLUMNS = ["device", "label", "seq", "time", "time_utc", "verdict", "warnings", "source", "kid", "nik_hash", "detail"];

/** Admin events keep a number in the NIK hash's place (audit-log.ts appendEvent): shown as what it is. */
export function detailOf(r: StoredRecord): string {
  const n = parseInt(r.nikHash.slice(0, 8), 16);
  if (r.source === "time") return `clock_before=${iso(n)}`;
  if (r.source === "log-cleared") return `cleared=${n}`;
  return "";
}

const isEvent = (r: StoredRecord) => r.source !== "qr" && r.source !== "card";

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(r: StoredRecord, label: string | null): string {
  return [r.device, label ?? "", r.seq, r.time, iso(r.time), r.verdict, r.warnings.join("+"), r.source, r.kid, isEvent(r) ? "" : r.nikHash, detailOf(r)].map((x) => csvField(String(x))).join(",");
}

export function recordLine(r: StoredRecord): string {
  return [iso(r.time), r.device, `#${r.seq}`, r.verdict, r.source, r.warnings.length ? `[${r.warnings.join(",")}]` : "", `kid ${r.kid}`, isEvent(r) ? detailOf(r) : `nik ${r.nikHash}`].filter((x) => x !== "").join("  ");
}

export function recordJson(r: StoredRecord, label: string | null): Record<string, unknown> {
  return { device: r.device, label, seq: r.seq, time: r.time, timeUtc: iso(r.time), verdict: r.verdict, warnings: r.warnings, source: r.source, kid: r.kid, nikHash: isEvent(r) ? null : r.nikHash, detail: detailOf(r) || null, signedPage: r.page };
}
