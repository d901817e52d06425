// Log pages as evidence: a LOG answer is kept exactly as the device signed it
// (with the nonce it answered), so that anyone can later check every stored
// record against the device's key (pindai fleet verify-logs), not only the
// tool that pulled it.
import { mapGet, mapUint } from "../../../firmware/core/cbor";
import { VERDICTS } from "../../../firmware/core/verdict";
import { SOURCE_NAMES, warningNames } from "../../../firmware/app/audit-log";
import { LOG } from "../../../firmware/app/admin-protocol";
import { checkAnswer, type DeviceClient, type LogRecord } from "../../issuer/device-client";
import { hex, unhex } from "../../issuer/keyfile";
import type { StoredRecord } from "./store";

export interface LogPage {
  nonce: string;
  answer: string;
  records: LogRecord[];
  more: boolean;
  last: number;
}

/** A LOG answer's records, after its signature, device, challenge and kind are checked (throws DeviceError). */
export function decodeLogPage(answer: string, deviceId: string, publicKey: string, nonce: string): Omit<LogPage, "nonce" | "answer"> {
  const body = checkAnswer(answer, unhex(deviceId), unhex(publicKey), unhex(nonce), "LOG");
  const records: LogRecord[] = [];
  for (const it of mapGet(body, LOG.RECORDS)?.items ?? []) {
    const f = it.items ?? [];
    const n = (i: number) => f[i]?.int ?? 0;
    const by = (i: number) => hex(f[i]?.bytes ?? new Uint8Array(8));
    records.push({ device: deviceId, seq: n(0), time: n(1), verdict: VERDICTS[n(2)] ?? "?", source: SOURCE_NAMES[n(3)] ?? String(n(3)), kid: by(4), nikHash: by(5), warnings: n(6) });
  }
  return { records, more: mapUint(body, LOG.MORE) === 1, last: mapUint(body, LOG.LAST) ?? 0 };
}

/** Pull the log from `from` on, page by page, each page checked; `page` is called with each (to keep it). */
export async function pullPages(c: DeviceClient, from: number, page: (p: LogPage) => Promise<void>): Promise<number> {
  let got = 0;
  for (let i = 0; i < MAX_PAGES; i++) {
    const r = await c.admin("LOG", from);
    const nonce = hex(r.nonce);
    const p = { nonce, answer: r.text, ...decodeLogPage(r.text, hex(c.id), hex(c.publicKey), nonce) };
    await page(p);
    got += p.records.length;
    if (!p.more || p.records.length === 0) break;
    from = p.records[p.records.length - 1].seq + 1;
  }
  return got;
}

const MAX_PAGES = 10000;

/** Whether every record stored from a page is on the page as signed (warning bits as names). */
export function storedAreSigned(page: LogRecord[], stored: StoredRecord[]): boolean {
  const key = (r: { seq: number; time: number; verdict: string; source: string; kid: string; nikHash: string }, w: string[]) => [r.seq, r.time, r.verdict, r.source, r.kid, r.nikHash, w.join(",")].join("/");
  const signed = new Set(page.map((r) => key(r, warningNames(r.warnings))));
  return stored.every((r) => signed.has(key(r, r.warnings)));
}
