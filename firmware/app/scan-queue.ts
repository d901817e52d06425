// Lines from the scan engine wait here for the verifier, so a line never
// waits behind a backlog and never blocks the serial handler:
// - push() only queues (and ranks, app-cheaply: core/triage.ts); the
//   verification runs from a timer, one line per turn of the event loop, so
//   the bytes that arrived meanwhile are queued before the next pick;
// - the next line verified is the best ranked, the newest among equals (a
//   fresh code shown now beats older lines of its rank);
// - a line already queued is not queued twice (coalesced);
// - at most `capacity` lines wait: past that the worst ranked, oldest line
//   is dropped and counted. Memory stays bounded whatever comes in.
// Against a flood of lines that cannot be OK (junk, damaged, unknown keys,
// expired or replayed captures), a genuine code waits at most for the
// verification in progress.
//
// Fresh forgeries under a valid kid cannot be told from a genuine code
// without the signature, and a slow device verifies about one a second
// while the scan line carries about 38 (issue 21, finding 10). What tells
// them apart is time: a code in front of the scanner is read again and
// again, each forgery of a flood is new. So:
// - a candidate line seen again (the keyed hash of its end, the signature,
//   among the last SEEN_SLOTS lines) ranks above every line seen once;
// - when FLOOD_FRESH fresh candidates arrive during one verification, a
//   flood starts (onFlood: the app shows and logs TAMPER) and lasts until
//   FLOOD_QUIET_MS pass without a fresh one; meanwhile a line seen once is
//   held (hashed, not even triaged, not verified), so the verifier is free
//   when the genuine code is shown again: its verdict comes within its
//   next showing plus one verification;
// - a line proven forged (refuted()) is remembered and dropped when it
//   comes again, before any other work: a repeated forgery is verified once.
// The hashes are keyed by a secret from the device's random source, so no
// forgery can be made to match a line it has not seen. What an attacker
// can still do (repeat each forgery, so that it is seen again) is in the
// README, "A device that cannot be told to lie".
import { TRIAGE_CANDIDATE } from "../core/triage";
import { QR_PREFIX } from "../core/presentation";
import type { Bytes } from "../core/bytes";
import type { Timers } from "../hal/timers";

interface Waiting {
  text: string;
  rank: number;
  order: number;
}

export const SCAN_QUEUE_CAPACITY = 4;
/** Candidate lines remembered as seen: at 115,200 baud (about 40-50 codes a second) more than 2.5 s of the line. */
export const SEEN_SLOTS = 128;
/** Lines proven forged, remembered: each costs nothing when it comes again. */
export const FORGED_SLOTS = 32;
/** This many fresh candidates arriving during one verification is a flood. */
export const FLOOD_FRESH = 3;
/** A flood is over when no fresh candidate came for this long. */
export const FLOOD_QUIET_MS = 1500;
/** Characters of a line's end that say whether it was seen before. */
export const TAIL_CHARS = 8;
/** The rank of a candidate seen again: above everything triage gives. */
export const RANK_SEEN_AGAIN = TRIAGE_CANDIDATE + 1;

/** The hash's modulus: a prime below 2^26, so a lane times a key stays below 2^52 (exact on every runtime). */
const P = 67108859;
const LANE = 67108864;

/** The last few hashes, the oldest replaced first. */
interface Ring {
  h: number[];
  next: number;
}

/** Index of h in a ring, or -1 (indexOf: a native loop on Espruino, where each line's work counts). */
function find(ring: Ring, h: number): number {
  return ring.h.indexOf(h);
}

export class ScanQueue {
  /** Lines dropped because the queue was full. */
  dropped = 0;
  /** Lines identical to one already waiting. */
  coalesced = 0;
  /** Lines dropped because they were proven forged before. */
  knownForgeries = 0;
  /** Lines seen once during a flood, held (not verified). */
  held = 0;
  /** True while fresh candidates come faster than they can be verified. */
  flooding = false;
  /** Called when a flood starts, with the fresh candidates that came during one verification. */
  onFlood: (fresh: number) => void = () => {};
  private waiting: Waiting[] = [];
  private order = 0;
  private scheduled = false;
  private seen: Ring = { h: [], next: 0 };
  /** Proven forgeries: their tail hashes and whole-line hashes, side by side. */
  private forgedTail: Ring = { h: [], next: 0 };
  private forgedFull: Ring = { h: [], next: 0 };
  /** Fresh candidates since the last verification began, and when the last one came. */
  private fresh = 0;
  private lastFreshAt = 0;
  /** When the last verification ended. */
  private resumedAt = 0;
  /** The hash's two multipliers: fixed ones until the key is drawn, and always without one (tests). */
  private k1 = 40503;
  private k2 = 65599;

  /**
   * `key` gives 6 bytes of the random source, drawn when the first line is
   * hashed: at boot, SHA-512 would be loaded beside the boot's own code, more
   * than a board of 2,950 variables holds at once.
   */
  constructor(
    private readonly timers: Timers,
    private readonly verify: (text: string) => void,
    private readonly rank: (text: string) => number,
    readonly capacity: number,
    private key?: () => Bytes,
  ) {}

  /** Draws the key (callers ask only while `key` is set: a hash per line is the hot path). */
  private keyed(draw: () => Bytes): void {
    this.key = undefined;
    let key: Bytes;
    try {
      key = draw();
    } catch (e) {
      return; // a source that fails later (app/checked-random.ts) leaves the fixed multipliers: every line is still verified in full
    }
    this.k1 = 2 + ((key[0] * 65536 + key[1] * 256 + key[2]) % (P - 2));
    this.k2 = 2 + ((key[3] * 65536 + key[4] * 256 + key[5]) % (P - 2));
  }

  /** Lines waiting now. */
  size(): number {
    return this.waiting.length;
  }

  /** A keyed hash of the whole line: two polynomial lanes mod P (about 52 bits). */
  hashOf(text: string): number {
    if (this.key !== undefined) this.keyed(this.key);
    let a = text.length % P;
    let b = a;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i) + 1;
      a = (a * this.k1 + c) % P;
      b = (b * this.k2 + c) % P;
    }
    return a * LANE + b;
  }

  /**
   * One lane of the same hash over the line's last TAIL_CHARS characters and
   * its length: the end of a code is its signature, random for every
   * forgery, and a slow interpreter reads 8 characters where it would read
   * 300 (a flood line's whole cost on Espruino). A collision here only makes
   * a line "seen again"; a line is dropped as forged only on its whole hash.
   */
  tailHash(text: string): number {
    if (this.key !== undefined) this.keyed(this.key);
    let a = text.length % P;
    for (let i = text.length > TAIL_CHARS ? text.length - TAIL_CHARS : 0; i < text.length; i++) a = (a * this.k1 + text.charCodeAt(i) + 1) % P;
    return a;
  }

  push(text: string): void {
    this.order++;
    const tail = this.tailHash(text);
    if (this.known(text, tail)) {
      this.knownForgeries++;
      return;
    }
    for (let i = 0; i < this.waiting.length; i++) {
      const w = this.waiting[i];
      if (w.text === text) {
        w.order = this.order; // shown again: as fresh as the newest
        if (w.rank === TRIAGE_CANDIDATE) w.rank = RANK_SEEN_AGAIN;
        this.coalesced++;
        this.schedule();
        return;
      }
    }
    const again = find(this.seen, tail) >= 0;
    this.remember(this.seen, tail, SEEN_SLOTS);
    const now = this.timers.millis();
    const code = text.substring(0, QR_PREFIX.length) === QR_PREFIX;
    if (this.flooding) {
      // A fresh code now: the flood goes on. Any other line after FLOOD_QUIET_MS without one,
      // counted from the end of the last verification too (lines wait while it runs): it is over.
      if (code && !again) this.lastFreshAt = now;
      else if (now - this.lastFreshAt >= FLOOD_QUIET_MS && now - this.resumedAt >= FLOOD_QUIET_MS) {
        this.flooding = false;
        this.fresh = 0;
      }
    }
    if (this.flooding && (!again || !code)) {
      this.held++; // seen once during a flood: held, not even triaged; shown again, it comes first
      return;
    }
    // Seen again during a flood: first, and not triaged (the look costs as much as a verification on Espruino; the verification reads it whole).
    let rank = this.flooding ? RANK_SEEN_AGAIN : this.rank(text);
    if (rank === TRIAGE_CANDIDATE) {
      if (again) rank = RANK_SEEN_AGAIN;
      else {
        this.fresh++;
        this.lastFreshAt = now;
        if (this.fresh >= FLOOD_FRESH && !this.flooding) {
          this.floodStarts();
          this.held++; // this one too
          return;
        }
      }
    }
    this.waiting.push({ text, rank, order: this.order });
    if (this.waiting.length > this.capacity) {
      this.take(this.pick(false));
      this.dropped++;
    }
    this.schedule();
  }

  /** The line was verified and its signature refuted: dropped for free when it comes again. */
  refuted(text: string): void {
    this.remember(this.forgedTail, this.tailHash(text), FORGED_SLOTS);
    this.remember(this.forgedFull, this.hashOf(text), FORGED_SLOTS);
  }

  /** Proven forged before: its tail is known, and then its whole line (a forgery copying another's tail is not taken for it). */
  private known(text: string, tail: number): boolean {
    return find(this.forgedTail, tail) >= 0 && find(this.forgedFull, this.hashOf(text)) >= 0;
  }

  /** Fresh candidates came faster than they are verified: held from now on, and the waiting ones seen once dropped. */
  private floodStarts(): void {
    this.flooding = true;
    const keep: Waiting[] = [];
    for (let i = 0; i < this.waiting.length; i++) {
      if (this.waiting[i].rank === TRIAGE_CANDIDATE) this.held++;
      else keep.push(this.waiting[i]);
    }
    this.waiting = keep;
    this.onFlood(this.fresh);
  }

  private remember(ring: Ring, h: number, slots: number): void {
    if (ring.h.length < slots) ring.h.push(h);
    else {
      ring.h[ring.next] = h; // the oldest goes
      ring.next = (ring.next + 1) % slots;
    }
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    this.timers.setTimeout(() => this.turn(), 0);
  }

  private turn(): void {
    this.scheduled = false;
    if (this.waiting.length === 0) return;
    const text = this.take(this.pick(true));
    this.fresh = 0;
    // Armed before the work: a verification that throws still leaves the rest to do.
    this.schedule();
    this.verify(text);
    this.resumedAt = this.timers.millis();
  }

  /** Index of the best line (highest rank, newest) or, with best false, the worst (lowest rank, oldest). */
  private pick(best: boolean): number {
    let k = 0;
    for (let i = 1; i < this.waiting.length; i++) {
      const a = this.waiting[i];
      const b = this.waiting[k];
      const better = a.rank > b.rank || (a.rank === b.rank && a.order > b.order);
      if (best ? better : !better) k = i;
    }
    return k;
  }

  private take(i: number): string {
    const text = this.waiting[i].text;
    this.waiting.splice(i, 1);
    return text;
  }
}
