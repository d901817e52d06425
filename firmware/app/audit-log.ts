// The audit log: every verdict, in a bounded ring of fixed-size records in
// one flash file. Survives a power cut at any byte:
// - a record is written with one write at its own slot, never moving others;
// - each record carries a sequence number and a CRC-32 over the rest, so a
//   torn record (any prefix of the new bytes over the old) fails its CRC and
//   is dropped on the next boot, never misread;
// - the next slot and sequence number are derived from the valid records.
// Personal data is not logged: only a salted hash of the NIK (never the name).
import { type Bytes, alloc, concat, fromHex, slice, toHex, utf8Encode } from "../core/bytes";
import { sha512 } from "../core/sha512";
import { VERDICTS, type Verdict, type Warning } from "../core/verdict";
import type { Outcome } from "../core/presentation";
import type { Random } from "../hal/random";
import type { Storage } from "../hal/storage";
import { crc32, getU32, putU32 } from "./crc32";

export const RECORD_SIZE = 32;
const SALT_FILE = "audit.salt";
const SALT_LENGTH = 16;

export const SOURCE_QR = 0;
export const SOURCE_CARD = 1;
/** Admin events (verdict OK, kid = the signer, nik hash field = detail as u32 and 4 zero bytes). */
export const SOURCE_TIME = 2; // detail: the RTC reading before the change
export const SOURCE_LOG_CLEARED = 3; // detail: how many records were cleared
export const SOURCE_WIPED = 4;
export const SOURCE_NAMES = ["qr", "card", "time", "log-cleared", "wiped"];

export interface AuditEntry {
  seq: number;
  time: number;
  verdict: Verdict;
  source: number;
  kid: string; // 16 hex, zeros when unknown
  nikHash: string; // 16 hex, zeros when no NIK was verified
  warnings: number; // bit set, see WARNING_BITS
}

const WARNING_ORDER: Warning[] = ["KEYSET_STALE", "CLOCK_NOT_TRUSTED", "ALREADY_USED", "NO_KEYSET"];

export function warningBits(w: Warning[]): number {
  let bits = 0;
  for (let i = 0; i < WARNING_ORDER.length; i++) {
    for (let j = 0; j < w.length; j++) if (w[j] === WARNING_ORDER[i]) bits |= 1 << i;
  }
  return bits;
}

function encode(e: AuditEntry): Bytes {
  const r = alloc(RECORD_SIZE);
  putU32(r, 0, e.seq);
  putU32(r, 4, e.time);
  let v = 0;
  for (let i = 0; i < VERDICTS.length; i++) if (VERDICTS[i] === e.verdict) v = i;
  r[8] = v;
  r[9] = e.source;
  const kid = fromHex(e.kid);
  const nik = fromHex(e.nikHash);
  for (let i = 0; i < 8; i++) {
    r[10 + i] = kid !== undefined && kid.length === 8 ? kid[i] : 0;
    r[18 + i] = nik !== undefined && nik.length === 8 ? nik[i] : 0;
  }
  r[26] = e.warnings & 255;
  r[27] = 0;
  putU32(r, 28, crc32(r, 0, 28));
  return r;
}

function decode(b: Bytes, off: number): AuditEntry | undefined {
  if (off + RECORD_SIZE > b.length) return undefined;
  if (crc32(b, off, off + 28) !== getU32(b, off + 28)) return undefined;
  if (b[off + 8] >= VERDICTS.length) return undefined;
  return {
    seq: getU32(b, off),
    time: getU32(b, off + 4),
    verdict: VERDICTS[b[off + 8]],
    source: b[off + 9],
    kid: toHex(slice(b, off + 10, off + 18)),
    nikHash: toHex(slice(b, off + 18, off + 26)),
    warnings: b[off + 26],
  };
}

export class AuditLog {
  private nextSeq = 1;
  private salt: Bytes = alloc(0);

  constructor(
    private readonly storage: Storage,
    private readonly random: Random,
    readonly capacity: number,
    private readonly file: string,
  ) {
    this.load();
  }

  /** Re-read the ring and the salt from flash (what a boot does). */
  load(): void {
    const all = this.entries();
    this.nextSeq = all.length > 0 ? all[all.length - 1].seq + 1 : 1;
    const salt = this.storage.read(SALT_FILE);
    if (salt !== undefined && salt.length === SALT_LENGTH) {
      this.salt = salt;
    } else {
      // First boot (or a torn salt write): a new per-device salt.
      this.salt = this.random.bytes(SALT_LENGTH);
      this.storage.erase(SALT_FILE);
      this.storage.write(SALT_FILE, this.salt, 0);
    }
  }

  /** Valid records, oldest first. */
  entries(): AuditEntry[] {
    const b = this.storage.read(this.file);
    const out: AuditEntry[] = [];
    if (b === undefined) return out;
    for (let slot = 0; slot < this.capacity; slot++) {
      const e = decode(b, slot * RECORD_SIZE);
      if (e !== undefined) out.push(e);
    }
    out.sort((a, c) => a.seq - c.seq);
    return out;
  }

  /** The NIK as the log keeps it: 8 bytes of SHA-512(salt || NIK). */
  nikHash(nik: string): string {
    return toHex(slice(sha512(concat([this.salt, utf8Encode(nik)])), 0, 8));
  }

  /** An admin event: who (the signer's kid) did what, when. */
  appendEvent(time: number, source: number, kid: string, detail: number, warnings: Warning[]): AuditEntry {
    const d = alloc(8);
    putU32(d, 0, detail);
    return this.write({ seq: this.nextSeq, time, verdict: "OK", source, kid, nikHash: toHex(d), warnings: warningBits(warnings) });
  }

  /** Erase every record (the salt stays); the next record starts a new sequence. */
  clear(): number {
    const n = this.entries().length;
    this.storage.erase(this.file);
    this.nextSeq = 1;
    return n;
  }

  append(time: number, source: number, o: Outcome): AuditEntry {
    const e: AuditEntry = {
      seq: this.nextSeq,
      time,
      verdict: o.verdict,
      source,
      kid: o.kid !== undefined ? o.kid : "0000000000000000",
      nikHash: o.nik !== undefined ? this.nikHash(o.nik) : "0000000000000000",
      warnings: warningBits(o.warnings),
    };
    return this.write(e);
  }

  private write(e: AuditEntry): AuditEntry {
    const slot = (e.seq - 1) % this.capacity;
    this.storage.write(this.file, encode(e), slot * RECORD_SIZE);
    this.nextSeq++;
    return e;
  }
}
