// An ISO/IEC 14443-4 (ISO-DEP) card reader: finds one card in the field and
// carries command APDUs to it. The card session (reader/card-session.ts) and
// the poller (app/card-poller.ts) see only this; each reader chip is one
// implementation in its own folder (reader/pn532/).
//
// Callbacks, not promises (Espruino and Lua): every method calls `done`
// exactly once, at once or later, and never throws. Every wait is bounded,
// by the timeout given or by the reader's own timeouts and retries.
import type { Bytes } from "../core/bytes";

export type CardReaderError =
  | "TIMEOUT" // no answer in time (after the reader's own retries, or past a deadline)
  | "LINK" // the reader chip refused or garbled the exchange, or is busy
  | "BAD_REPLY" // the reader answered, but not in the form it should
  | "CARD_GONE"; // the reader is fine but the card did not answer: it left the field

export interface CardReaderFault {
  error: CardReaderError;
  /** How, in the chip's words, for logs and the host CLI ("NACK", "STATUS_1"). */
  detail: string;
}

/** A card found by detect (ISO/IEC 14443-3 type A activation). */
export interface DetectedCard {
  /** Its UID (NFCID1) as the anticollision gave it; may be empty when the reader does not report it. */
  uid: Bytes;
}

export interface CardReader {
  /** Ready the reader (out of power-down); called once before the first detect. */
  wake(done: (fault: CardReaderFault | undefined) => void): void;
  /**
   * Look for one card for up to timeoutMs and activate it for ISO-DEP. `done`
   * gets the card, or neither fault nor card when none answered.
   */
  detect(timeoutMs: number, done: (fault: CardReaderFault | undefined, card: DetectedCard | undefined) => void): void;
  /**
   * Send one command APDU to the detected card; `done` gets its response APDU
   * (data, then SW1 SW2). With deadlineMs the answer counts only if it comes
   * within deadlineMs of sending: nothing is resent and a late answer is
   * dropped (a TIMEOUT), for answers whose age matters (a relay adds
   * latency). Without it the reader's own timeouts and retries apply.
   */
  transceive(command: Bytes, deadlineMs: number | undefined, done: (fault: CardReaderFault | undefined, response: Bytes | undefined) => void): void;
  /** Let the card go (deselect); `done` fires whatever the outcome. */
  release(done: () => void): void;
}
