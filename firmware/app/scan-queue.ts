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
// verification in progress. Fresh forgeries under a valid kid rank as
// genuine codes do; among them the newest goes first.
import type { Timers } from "../hal/timers";

interface Waiting {
  text: string;
  rank: number;
  order: number;
}

export const SCAN_QUEUE_CAPACITY = 4;

export class ScanQueue {
  /** Lines dropped because the queue was full. */
  dropped = 0;
  /** Lines identical to one already waiting. */
  coalesced = 0;
  private waiting: Waiting[] = [];
  private order = 0;
  private scheduled = false;

  constructor(
    private readonly timers: Timers,
    private readonly verify: (text: string) => void,
    private readonly rank: (text: string) => number,
    readonly capacity: number,
  ) {}

  /** Lines waiting now. */
  size(): number {
    return this.waiting.length;
  }

  push(text: string): void {
    this.order++;
    for (let i = 0; i < this.waiting.length; i++) {
      if (this.waiting[i].text === text) {
        this.waiting[i].order = this.order; // shown again: as fresh as the newest
        this.coalesced++;
        return;
      }
    }
    this.waiting.push({ text, rank: this.rank(text), order: this.order });
    if (this.waiting.length > this.capacity) {
      this.take(this.pick(false));
      this.dropped++;
    }
    this.schedule();
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
    // Armed before the work: a verification that throws still leaves the rest to do.
    this.schedule();
    this.verify(text);
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
