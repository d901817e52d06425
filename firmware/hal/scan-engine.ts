// A QR scan engine (GM65-class UART module, or a keyboard-wedge scanner)
// sends each decoded code as a line of text. lineScanner() turns a Serial
// byte stream into those lines: CR, LF or CRLF end a line; an overlong line
// is dropped whole (never cut into a shorter, different code).
import type { Serial } from "./serial";

export interface ScanEngine {
  onLine(handler: (text: string) => void): void;
}

export function lineScanner(serial: Serial, maxLength: number): ScanEngine {
  let handler: ((text: string) => void) | undefined = undefined;
  let line = "";
  let overlong = false;
  serial.onData((data) => {
    for (let i = 0; i < data.length; i++) {
      const c = data[i];
      if (c === 13 || c === 10) {
        if (!overlong && line.length > 0 && handler !== undefined) handler(line);
        line = "";
        overlong = false;
      } else if (line.length >= maxLength) {
        overlong = true;
      } else {
        line += String.fromCharCode(c);
      }
    }
  });
  return {
    onLine(h) {
      handler = h;
    },
  };
}
