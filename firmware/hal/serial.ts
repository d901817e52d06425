// A byte stream to a UART peripheral (scan engine, PN532 card reader).
// ECMA-419 style: data arrives as events, the app never polls or sleeps.
import type { Bytes } from "../core/bytes";

export interface Serial {
  /** Queue bytes for sending. */
  write(data: Bytes): void;
  /** Called with each chunk of received bytes (chunks may split frames). */
  onData(handler: (data: Bytes) => void): void;
  close(): void;
}
