// Looks for a card every intervalMs while the app is idle, and hands each
// finished read to the app. One read at a time; the reader's own timeouts
// bound every read, so polling never stalls.
//
// A card is read once per visit: after a read, a card still in the field is
// taken for the same one (a card left on the reader) and not read again until
// a poll finds the field empty. Otherwise a card left on the reader would be
// logged every few seconds and push the QR verdicts out of the audit log. A
// card whose UID the reader reports (and that is not a random UID, 08 ...)
// and that differs from the held one is a new card and is read.
//
// A reader that stops answering (its detect times out or fails FAULTS_DOWN
// times in a row) is reported once through onReaderState, and again when it
// answers.
import { type Bytes, toHex } from "../core/bytes";
import type { CardReader, CardReaderFault } from "../hal/card-reader";
import type { Random } from "../hal/random";
import type { Timers } from "../hal/timers";
import { readCard, type CardSessionResult } from "../reader/card-session";

/** Failed detects in a row before the reader counts as not answering. */
export const FAULTS_DOWN = 3;

/** A card left in the field: its UID as hex ("" when the reader gave none or it is random). */
function uidKey(uid: Bytes): string {
  return uid.length === 0 || (uid.length === 4 && uid[0] === 0x08) ? "" : toHex(uid);
}

export class CardPoller {
  private running = false;
  private reading = false;
  private stopped = true;
  /** The card read last and still in the field (its uidKey), or undefined once the field was seen empty. */
  private held: string | undefined = undefined;
  private faults = 0;
  /** Whether the reader answers; undefined until it first answers or fails. */
  answering: boolean | undefined = undefined;
  /** Called when the reader stops answering (with the fault) and when it answers again. */
  onReaderState: (answering: boolean, detail: string) => void = () => {};

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
    this.reader.wake((fault) => {
      if (fault !== undefined) this.detected(fault);
      this.schedule();
    });
  }

  stop(): void {
    this.stopped = true;
    this.running = false;
  }

  /** Read now, whatever is in the field (the simulator's "tap" does this); ignored while a read is in progress. */
  poll(done?: () => void): void {
    this.read(false, done);
  }

  private read(skipHeld: boolean, done?: () => void): void {
    if (this.reading) return;
    this.reading = true;
    readCard(
      this.watched(skipHeld),
      this.random,
      (r) => {
        this.reading = false;
        this.onResult(r);
        if (done !== undefined) done();
      },
      { onDetected: this.onDetected, authDeadlineMs: this.authDeadlineMs },
    );
  }

  /** The reader as the session sees it: each detect tracks the held card and the reader's health. */
  private watched(skipHeld: boolean): CardReader {
    const r = this.reader;
    return {
      wake: (done) => r.wake(done),
      transceive: (c, d, done) => r.transceive(c, d, done),
      release: (done) => r.release(done),
      detect: (ms, done) =>
        r.detect(ms, (fault, card) => {
          this.detected(fault);
          if (fault !== undefined) return done(fault, card);
          if (card === undefined) {
            this.held = undefined; // the field is empty: the next card is a new visit
            return done(undefined, undefined);
          }
          const key = uidKey(card.uid);
          const same = this.held !== undefined && (key === "" || this.held === "" || key === this.held);
          if (skipHeld && same) return r.release(() => done(undefined, undefined));
          this.held = key;
          done(undefined, card);
        }),
    };
  }

  private detected(fault: CardReaderFault | undefined): void {
    if (fault === undefined) {
      this.faults = 0;
      if (this.answering !== true) {
        const was = this.answering;
        this.answering = true;
        if (was === false) this.onReaderState(true, "");
      }
      return;
    }
    this.faults++;
    if (this.faults >= FAULTS_DOWN && this.answering !== false) {
      this.answering = false;
      this.onReaderState(false, fault.detail);
    }
  }

  /** While the app is busy (a verdict on screen): only whether the held card is still there. */
  private presence(): void {
    this.reading = true;
    this.reader.detect(this.intervalMs, (fault, card) => {
      this.detected(fault);
      const end = () => {
        this.reading = false;
        this.schedule();
      };
      if (fault !== undefined) return end();
      if (card === undefined) {
        this.held = undefined;
        return end();
      }
      this.reader.release(end);
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timers.setTimeout(() => {
      if (this.stopped) return;
      if (this.reading) this.schedule();
      else if (this.isIdle()) this.read(true, () => this.schedule());
      else if (this.held !== undefined) this.presence();
      else this.schedule();
    }, this.intervalMs);
  }
}
