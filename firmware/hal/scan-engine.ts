// A QR scan engine (GM65-class UART module, or a keyboard-wedge scanner)
// sends each decoded code as a line of text. lineScanner() turns a Serial
// byte stream into those lines: CR, LF or CRLF end a line; an overlong line
// is dropped whole (never cut into a shorter, different code).
//
// A scan engine sends a line in one burst. So with timers, an unfinished
// line followed by silence is not a line: it is dropped at the idle gap, and
// the next line starts clean. (Otherwise 5,000 bytes without a newline would
// swallow the next genuine code as the tail of an overlong line.) Silence
// means two idle checks in a row without a byte, so a line whose tail was
// held up by a long verification (the event loop busy) is not cut.
import type { Serial } from "./serial";
import type { Timers, TimerHandle } from "./timers";

export interface ScanEngine {
  onLine(handler: (text: string) => void): void;
  /** Lines dropped so far: overlong, or unfinished at an idle gap. */
  dropped(): number;
}

/** Longer lines than a QR code can hold (4,296 alphanumeric characters) are dropped; a camera's codes too (app/camera-reader.ts). */
export const MAX_SCAN_LINE = 4400;

/** Idle check period: an unfinished line is dropped after 1-2 of these without a byte. */
export const SCAN_IDLE_MS = 250;

export function lineScanner(serial: Serial, maxLength: number, timers?: Timers, idleMs?: number): ScanEngine {
  const idle = idleMs === undefined ? SCAN_IDLE_MS : idleMs;
  let handler: ((text: string) => void) | undefined = undefined;
  let line = "";
  let overlong = false;
  let dropped = 0;
  let timer: TimerHandle | undefined = undefined;
  let heard = false; // a byte came since the last idle check

  const idleCheck = () => {
    timer = undefined;
    if (line.length === 0 && !overlong) return;
    if (heard) {
      heard = false;
      timer = timers!.setTimeout(idleCheck, idle);
      return;
    }
    line = "";
    overlong = false;
    dropped++;
  };

  serial.onData((data) => {
    for (let i = 0; i < data.length; i++) {
      const c = data[i];
      if (c === 13 || c === 10) {
        if (overlong) dropped++;
        else if (line.length > 0 && handler !== undefined) handler(line);
        line = "";
        overlong = false;
      } else if (line.length >= maxLength) {
        overlong = true;
      } else {
        line += String.fromCharCode(c);
      }
    }
    heard = true;
    if (timers !== undefined && timer === undefined && (line.length > 0 || overlong)) timer = timers.setTimeout(idleCheck, idle);
  });
  return {
    onLine(h) {
      handler = h;
    },
    dropped: () => dropped,
  };
}
