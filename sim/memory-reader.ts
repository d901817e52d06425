// An ISO/IEC 14443-4 reader with nothing between it and the card: the
// simulator's virtual card (sim/virtual-card.ts) answers each APDU on the
// reader's clock. A second CardReader beside the PN532 driver, and the
// smallest one: what the card session and the poller need from a reader.
// Answers always come later (a timer), never inside the call, as over a wire.
import { type Bytes, fromAscii } from "../firmware/core/bytes";
import type { CardReader, CardReaderFault, DetectedCard } from "../firmware/hal/card-reader";
import type { Timers } from "../firmware/hal/timers";
import { CardInField, type VirtualCard } from "./virtual-card";

/** How long a card may take to answer when the session sets no deadline (ISO 14443-4 FWT is at most ~5 s). */
export const MEMORY_READER_TIMEOUT_MS = 1000;

export class MemoryCardReader implements CardReader {
  /** Every INTERNAL AUTHENTICATE challenge the cards received, in order. */
  readonly challenges: Uint8Array[] = [];
  private inField: CardInField | undefined = undefined;
  private activated = false;

  constructor(private readonly timers: Timers) {}

  /** Put a card on the reader (or take it away with undefined). */
  tap(card: VirtualCard | undefined): void {
    this.inField = card === undefined ? undefined : new CardInField(card, this.challenges);
    this.activated = false;
  }

  wake(done: (fault: CardReaderFault | undefined) => void): void {
    this.timers.setTimeout(() => done(undefined), 0);
  }

  /** No card: `done` gets neither at once, without using up timeoutMs (as the PN532 emulator answers). */
  detect(_timeoutMs: number, done: (fault: CardReaderFault | undefined, card: DetectedCard | undefined) => void): void {
    const c = this.inField;
    if (c === undefined || !c.present) {
      this.timers.setTimeout(() => done(undefined, undefined), 0);
      return;
    }
    c.activate();
    this.activated = true;
    this.timers.setTimeout(() => done(undefined, { uid: fromAscii(c.card.serial) }), 0); // the serial stands in for a UID
  }

  /** The card's answer arrives after its relay delay (INTERNAL AUTHENTICATE), unless that is past the deadline. */
  transceive(command: Bytes, deadlineMs: number | undefined, done: (fault: CardReaderFault | undefined, response: Bytes | undefined) => void): void {
    const c = this.inField;
    const answer = c !== undefined && this.activated ? c.answer(command) : undefined;
    if (c === undefined || answer === undefined) {
      this.timers.setTimeout(() => done({ error: "CARD_GONE", detail: "NO_ANSWER" }, undefined), 0);
      return;
    }
    const delay = command.length > 1 && command[1] === 0x88 ? c.authDelayMs() : undefined;
    const wait = delay === undefined ? 0 : delay;
    const limit = deadlineMs === undefined ? MEMORY_READER_TIMEOUT_MS : deadlineMs;
    if (wait > limit) {
      this.timers.setTimeout(() => done({ error: "TIMEOUT", detail: "TIMEOUT" }, undefined), limit);
      return;
    }
    this.timers.setTimeout(() => done(undefined, Uint8Array.from(answer)), wait);
  }

  release(done: () => void): void {
    this.activated = false;
    this.timers.setTimeout(done, 0);
  }
}
