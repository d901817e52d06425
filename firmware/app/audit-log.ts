// The audit log: every verdict, as 32-byte records in two append-only rings
// of page files (app/record-ring.ts: survives a power cut at any byte, and a
// record costs its own bytes of flash, not a rewrite of the log):
// - verdicts on credentials, `capacity` of them;
// - runs of scans that are not credentials (a URL, a damaged code), one
//   record per run with its count, in a ring of their own: junk is counted
//   but never pushes a verdict on a credential out of the log.
// A run is kept in RAM (and shown by entries()) until a credential's verdict
// ends it; a power cut loses only the count of the run in progress.
//
// Personal data: never the name. The NIK is logged per the build's policy:
// "hmac" (default) keeps 8 bytes of HMAC-SHA-512(device secret, NIK), which
// links visits of one person on this device but cannot be computed without
// the secret; "off" keeps no identity at all. The secret is made on first
// boot from the random source, kept in flash and never exported.
import { type Bytes, alloc, fromHex, slice, toHex, utf8Encode } from "../core/bytes";
import { hmacSha512 } from "../core/hmac";
import { VERDICTS, verdictIndex, type Verdict, type Warning } from "../core/verdict";
import type { Outcome } from "../core/outcome";
import type { Random } from "../hal/random";
import type { Storage } from "../hal/storage";
import { crc32, getU32, putU32 } from "../core/crc32";
import { RecordRing } from "./record-ring";

export const RECORD_SIZE = 32;
const SECRET_FILE = "audit.key";
const SECRET_LENGTH = 32;
/** Files of the log before the keyed hash (a ring and a readable salt): removed at boot. */
const OLD_FILES = ["audit.salt", "audit.log"];
const NO_ID = "0000000000000000";

export const SOURCE_QR = 0;
export const SOURCE_CARD = 1;
/** Admin events (verdict OK, kid = the signer, nik hash field = detail as u32 and 4 zero bytes). */
export const SOURCE_TIME = 2; // detail: the RTC reading before the change
export const SOURCE_LOG_CLEARED = 3; // detail: how many records were cleared
export const SOURCE_WIPED = 4;
export const SOURCE_UNLOCKED = 5; // the console was given back until reboot (signed UNLOCK)
export const SOURCE_TAMPER = 6; // kid: zeros; detail: how many (files removed at boot, forged codes in a row)
export const SOURCE_NAMES = ["qr", "card", "time", "log-cleared", "wiped", "unlocked", "tamper"];

/** What the log keeps of a NIK: a keyed hash (default), or nothing. */
export type NikPolicy = "hmac" | "off";

export interface AuditOptions {
  nik?: NikPolicy;
  /** Run records kept (default 32). */
  runCapacity?: number;
}

export interface AuditEntry {
  seq: number;
  time: number;
  verdict: Verdict;
  source: number;
  kid: string; // 16 hex, zeros when unknown
  nikHash: string; // 16 hex, zeros when no NIK was verified or the policy is "off"
  warnings: number; // bit set, see WARNING_BITS
  /** Scans this record stands for: 1, or the length of a run of non-credentials. */
  count: number;
}

const WARNING_ORDER: Warning[] = ["KEYSET_STALE", "CLOCK_NOT_TRUSTED", "ALREADY_USED", "NO_KEYSET"];

export function warningBits(w: Warning[]): number {
  let bits = 0;
  for (let i = 0; i < WARNING_ORDER.length; i++) {
    for (let j = 0; j < w.length; j++) if (w[j] === WARNING_ORDER[i]) bits |= 1 << i;
  }
  return bits;
}

/** A record made while the clock was not trusted has this bit (the clock floor skips it). */
// (Its place in WARNING_ORDER, not a call: on Espruino this module's functions are a part loaded when called.)
export const UNTRUSTED_BIT = 1 << WARNING_ORDER.indexOf("CLOCK_NOT_TRUSTED");

/** The warnings a record's bit set names (the fleet's exports show names, never the bits). */
export function warningNames(bits: number): Warning[] {
  const out: Warning[] = [];
  for (let i = 0; i < WARNING_ORDER.length; i++) if ((bits & (1 << i)) !== 0) out.push(WARNING_ORDER[i]);
  return out;
}

/** Not a credential: no signer was ever named, so nothing in it can be attributed (counted in runs). */
export function isJunk(o: Outcome): boolean {
  return o.kid === undefined && (o.verdict === "NOT_A_CREDENTIAL" || o.verdict === "MALFORMED");
}

// Record: seq u32 | time u32 | verdict u8 | source u8 | kid 8 | nik hash 8 (a run: count u32, 4 zeros) | warnings u8 | kind u8 | CRC-32
const KIND_VERDICT = 0;
const KIND_RUN = 1;

function encode(e: AuditEntry, kind: number): Bytes {
  const r = alloc(RECORD_SIZE);
  putU32(r, 0, e.seq);
  putU32(r, 4, e.time);
  r[8] = verdictIndex(e.verdict);
  r[9] = e.source;
  const kid = fromHex(e.kid);
  const nik = fromHex(e.nikHash);
  for (let i = 0; i < 8; i++) {
    r[10 + i] = kid !== undefined && kid.length === 8 ? kid[i] : 0;
    r[18 + i] = nik !== undefined && nik.length === 8 ? nik[i] : 0;
  }
  if (kind === KIND_RUN) putU32(r, 18, e.count); // a run has no NIK
  r[26] = e.warnings & 255;
  r[27] = kind;
  putU32(r, 28, crc32(r, 0, 28));
  return r;
}

function seqOf(b: Bytes, off: number): number | undefined {
  if (off + RECORD_SIZE > b.length) return undefined;
  if (crc32(b, off, off + 28) !== getU32(b, off + 28)) return undefined;
  if (b[off + 8] >= VERDICTS.length || b[off + 27] > KIND_RUN) return undefined;
  return getU32(b, off);
}

function decode(b: Bytes, off: number): AuditEntry {
  const run = b[off + 27] === KIND_RUN;
  return {
    seq: getU32(b, off),
    time: getU32(b, off + 4),
    verdict: VERDICTS[b[off + 8]],
    source: b[off + 9],
    kid: toHex(slice(b, off + 10, off + 18)),
    nikHash: run ? NO_ID : toHex(slice(b, off + 18, off + 26)),
    warnings: b[off + 26],
    count: run ? getU32(b, off + 18) : 1,
  };
}

const CODEC = { size: RECORD_SIZE, seqOf, decode };

export class AuditLog {
  private nextSeq = 1;
  private secret: Bytes = alloc(0);
  private readonly verdicts: RecordRing<AuditEntry>;
  private readonly runs: RecordRing<AuditEntry>;
  /** The run of non-credentials in progress, not yet in flash. */
  private run: AuditEntry | undefined = undefined;
  readonly nikPolicy: NikPolicy;

  constructor(
    private readonly storage: Storage,
    private readonly random: Random,
    readonly capacity: number,
    file: string,
    opts?: AuditOptions,
  ) {
    const o = opts === undefined ? {} : opts;
    this.nikPolicy = o.nik === "off" ? "off" : "hmac";
    this.verdicts = new RecordRing(storage, file + ".", capacity, CODEC);
    this.runs = new RecordRing(storage, file + ".run.", o.runCapacity === undefined ? 32 : o.runCapacity, CODEC);
    this.loadLog();
  }

  /** Re-read the rings and the secret from flash (what a boot does). */
  loadLog(): void {
    this.verdicts.loadRing();
    this.runs.loadRing();
    this.run = undefined;
    const last = this.verdicts.lastSeq() > this.runs.lastSeq() ? this.verdicts.lastSeq() : this.runs.lastSeq();
    this.nextSeq = last + 1;
    for (let i = 0; i < OLD_FILES.length; i++) if (this.storage.read(OLD_FILES[i]) !== undefined) this.storage.erase(OLD_FILES[i]);
    if (this.nikPolicy === "off") {
      this.secret = alloc(0);
      return;
    }
    const secret = this.storage.read(SECRET_FILE);
    if (secret !== undefined && secret.length === SECRET_LENGTH) {
      this.secret = secret;
    } else {
      // First boot (or a torn first write, before any record used it): a new device secret.
      this.secret = this.random.bytes(SECRET_LENGTH);
      this.storage.erase(SECRET_FILE);
      this.storage.write(SECRET_FILE, this.secret, 0);
    }
  }

  /**
   * A new device secret for the NIK hash (WIPE): a torn write fails the
   * length check and the next boot makes yet another, which serves as well.
   */
  renewKey(): void {
    if (this.nikPolicy === "off") return;
    this.secret = this.random.bytes(SECRET_LENGTH);
    this.storage.erase(SECRET_FILE);
    this.storage.write(SECRET_FILE, this.secret, 0);
  }

  /**
   * Up to `max` records numbered `from` or more, of both rings and the run in
   * progress, oldest first (a LOG page): only these are decoded.
   */
  pageFrom(from: number, max: number): AuditEntry[] {
    const a = this.verdicts.pageFrom(from, max);
    const b = this.runs.pageFrom(from, max);
    if (this.run !== undefined && this.run.seq >= from) b.push(this.run);
    const out: AuditEntry[] = [];
    let i = 0;
    let j = 0;
    while ((i < a.length || j < b.length) && out.length < max) {
      if (j >= b.length || (i < a.length && a[i].seq < b[j].seq)) out.push(a[i++]);
      else out.push(b[j++]);
    }
    return out;
  }

  /** Valid records of both rings and the run in progress, oldest first. */
  entries(): AuditEntry[] {
    return this.pageFrom(0, this.verdicts.capacity + this.runs.capacity + 1);
  }

  /** How many records entries() gives, without decoding them (STATUS). */
  logCount(): number {
    return this.verdicts.ringCount() + this.runs.ringCount() + (this.run !== undefined ? 1 : 0);
  }

  /** The newest record's number; 0 when there is none. */
  lastSeq(): number {
    if (this.run !== undefined) return this.run.seq; // a run in progress is the newest: a verdict ends it first
    return this.verdicts.lastSeq() > this.runs.lastSeq() ? this.verdicts.lastSeq() : this.runs.lastSeq();
  }

  /** The time of the newest record made with a trusted clock, 0 when none: where a boot's clock floor starts. */
  lastTrustedTime(): number {
    let best = 0;
    let time = 0;
    const visit = (e: AuditEntry, seq: number) => {
      if ((e.warnings & UNTRUSTED_BIT) === 0 && seq > best) {
        best = seq;
        time = e.time;
      }
    };
    this.verdicts.each(visit);
    this.runs.each(visit);
    if (this.run !== undefined) visit(this.run, this.run.seq);
    return time;
  }

  /** The NIK as the log keeps it: 8 bytes of HMAC-SHA-512(device secret, NIK); zeros when the policy is "off". */
  nikHash(nik: string): string {
    if (this.nikPolicy === "off") return NO_ID;
    return toHex(slice(hmacSha512(this.secret, utf8Encode(nik)), 0, 8));
  }

  append(time: number, source: number, o: Outcome): AuditEntry {
    const warnings = warningBits(o.warnings);
    if (isJunk(o)) {
      const r = this.run;
      if (r !== undefined && r.verdict === o.verdict && r.source === source) {
        r.count++;
        return r;
      }
      this.endRun();
      this.run = { seq: this.nextSeq++, time, verdict: o.verdict, source, kid: NO_ID, nikHash: NO_ID, warnings, count: 1 };
      return this.run;
    }
    this.endRun();
    const e: AuditEntry = {
      seq: this.nextSeq++,
      time,
      verdict: o.verdict,
      source,
      kid: o.kid !== undefined ? o.kid : NO_ID,
      nikHash: o.nik !== undefined ? this.nikHash(o.nik) : NO_ID,
      warnings,
      count: 1,
    };
    this.verdicts.append(encode(e, KIND_VERDICT), e.seq);
    return e;
  }

  /** An admin event: who (the signer's kid) did what, when. */
  appendEvent(time: number, source: number, kid: string, detail: number, warnings: Warning[]): AuditEntry {
    this.endRun();
    const d = alloc(8);
    putU32(d, 0, detail);
    const e: AuditEntry = { seq: this.nextSeq++, time, verdict: "OK", source, kid, nikHash: toHex(d), warnings: warningBits(warnings), count: 1 };
    this.verdicts.append(encode(e, KIND_VERDICT), e.seq);
    return e;
  }

  /** Erase every record (the secret stays); returns how many there were. */
  clear(): number {
    const n = this.logCount();
    this.run = undefined;
    this.verdicts.clear();
    this.runs.clear();
    return n;
  }

  /** Write the run in progress (a credential's verdict ends it). */
  endRun(): void {
    const r = this.run;
    if (r === undefined) return;
    this.run = undefined;
    this.runs.append(encode(r, KIND_RUN), r.seq);
  }
}
