// Looks for a card every intervalMs while the app is idle, and hands each
// finished read to the app. One read at a time; the reader's own timeouts
// bound every read, so polling never stalls.
import type { CardReader } from "../hal/card-reader";
import type { Random } from "../hal/random";
import type { Timers } from "../hal/timers";
import { readCard, type CardSessionResult } from "../reader/card-session";

export class CardPoller {
  private running = false;
  private reading = false;
  private stopped = true;

  constructor(
    private readonly reader: CardReader,
    private readonly random: Random,
    private readonly timers: Timers,
    private readonly isIdle: () => boolean,
    private readonly onResult: (r: CardSessionResult) => void,
    private readonly intervalMs: number,
    private readonly onDetected?: () => void,
    /** The card's INTERNAL AUTHENTICATE deadline (reader/card-session.ts; default 500 ms). */
    private readonly authDeadlineMs?: number,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopped = false;
    this.reader.wake(() => this.schedule());
  }

  stop(): void {
    this.stopped = true;
    this.running = false;
  }

  /** Read now (the simulator's "tap" does this); ignored while a read is in progress. */
  poll(done?: () => void): void {
    if (this.reading) return;
    this.reading = true;
    readCard(
      this.reader,
      this.random,
      (r) => {
        this.reading = false;
        this.onResult(r);
        if (done !== undefined) done();
      },
      { onDetected: this.onDetected, authDeadlineMs: this.authDeadlineMs },
    );
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timers.setTimeout(() => {
      if (this.stopped) return;
      if (this.isIdle() && !this.reading) this.poll(() => this.schedule());
      else this.schedule();
    }, this.intervalMs);
  }
}
