// What fleet list/status flag and what the CSV holds, from device rows and
// records as the store returns them: stale and nearly stale key sets (with
// their date), devices not seen, clock drift, bursts of forgeries, and admin
// events shown as what they are (not a NIK hash).
import { describe, expect, it } from "vitest";
import { csvRow, detailOf, staleAt, view, type StatusOptions } from "../host/src/fleet/report";
import type { DeviceRow, StoredRecord } from "../host/src/fleet/store";

const DAY = 86400;
const now = 1_800_000_000;
const o: StatusOptions = { now, days: 7, driftS: 60, burst: 20, windowS: DAY };
const keysets = [
  { version: 1, issued: now - 40 * DAY, nextUpdate: now - 10 * DAY },
  { version: 2, issued: now - 25 * DAY, nextUpdate: now + 60 * DAY }, // next_update later than issued + 30 days
  { version: 3, issued: now - DAY, nextUpdate: now + 29 * DAY },
];
const row = (d: Partial<DeviceRow>): DeviceRow => ({
  id: "0011223344556677",
  publicKey: "ab".repeat(32),
  label: null,
  location: null,
  address: null,
  enrolledAt: now - 90 * DAY,
  firstSeen: now - 90 * DAY,
  lastSeen: now - 3600,
  firmware: "1.0.0",
  keysetVersion: 3,
  clockDrift: 1,
  clockTrusted: true,
  floorAt: null,
  revokedAt: null,
  revokedReason: null,
  ...d,
});
const attention = (d: Partial<DeviceRow>, forgeries = 0) => view(row(d), keysets, 0, forgeries, 100, o).attention;

describe("fleet status: what needs attention", () => {
  it("a key set goes stale at its next_update, or 30 days after it was issued if that is earlier", () => {
    expect(staleAt(1, keysets)).toBe(now - 10 * DAY);
    expect(staleAt(2, keysets)).toBe(now + 5 * DAY);
    expect(staleAt(3, keysets)).toBe(now + 29 * DAY);
    expect(staleAt(9, keysets)).toBeUndefined(); // a set this fleet never pushed: date unknown
  });

  it("flags stale and nearly stale key sets with the date, devices not seen, untrusted or drifting clocks, bursts of forgeries", () => {
    expect(attention({})).toEqual([]);
    expect(attention({ keysetVersion: 1 })).toEqual(["key set v1 STALE since 2027-01-05T08:00:00Z"]);
    expect(attention({ keysetVersion: 2 })).toEqual(["key set v2 goes stale 2027-01-20T08:00:00Z"]);
    expect(attention({ keysetVersion: null })).toEqual(["no key set"]);
    expect(attention({ lastSeen: now - 9 * DAY })).toEqual(["not seen for 9 days"]);
    expect(attention({ lastSeen: null })).toEqual(["not seen for ever"]);
    expect(attention({ clockTrusted: false })).toEqual(["clock NOT TRUSTED"]);
    expect(attention({ clockDrift: -300 })).toEqual(["clock drift -300 s"]);
    expect(attention({}, 19)).toEqual([]);
    expect(attention({}, 20)[0]).toMatch(/^20 forgeries \(BAD_SIGNATURE\/CARD_AUTH_FAILED\/UNKNOWN_KEY\) of 100 verdicts in 24 h/);
    // A revoked device is only that: nothing else about it is worth an operator's time.
    expect(attention({ revokedAt: now - DAY, revokedReason: "stolen", keysetVersion: 1 })).toEqual(["REVOKED 2027-01-14T08:00:00Z (stolen)"]);
  });
});

describe("fleet logs: the CSV row", () => {
  const rec = (r: Partial<StoredRecord>): StoredRecord => ({ device: "0011223344556677", seq: 7, time: now, verdict: "OK", warnings: [], source: "qr", kid: "a1a2a3a4a5a6a7a8", nikHash: "0123456789abcdef", page: 1, ...r });
  it("warnings by name, the NIK hash only for credentials, an admin event's number as what it is", () => {
    expect(csvRow(rec({ warnings: ["KEYSET_STALE", "ALREADY_USED"] }), "north")).toBe("0011223344556677,north,7,1800000000,2027-01-15T08:00:00Z,OK,KEYSET_STALE+ALREADY_USED,qr,a1a2a3a4a5a6a7a8,0123456789abcdef,");
    expect(detailOf(rec({ source: "time", nikHash: "6a8d3f0000000000" }))).toBe("clock_before=2026-08-25T07:06:40Z");
    expect(detailOf(rec({ source: "log-cleared", nikHash: "0000002a00000000" }))).toBe("cleared=42");
    expect(csvRow(rec({ source: "wiped", nikHash: "0000000000000000" }), null)).toBe("0011223344556677,,7,1800000000,2027-01-15T08:00:00Z,OK,,wiped,a1a2a3a4a5a6a7a8,,");
    expect(csvRow(rec({}), 'Gate "1", north')).toContain(',"Gate ""1"", north",');
  });
});
