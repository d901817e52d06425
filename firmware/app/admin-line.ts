// The admin protocol on a serial line: bytes in, one reply line out per
// command line (CR, LF or CRLF end a line). A line longer than
// MAX_ADMIN_LINE is dropped as it arrives (never buffered whole) and answered
// with one ERR when it ends. Nothing here evaluates code: the line only ever
// reaches AdminService.handle.
import { type Bytes, alloc } from "../core/bytes";
import type { Serial } from "../hal/serial";
import { MAX_ADMIN_LINE } from "./admin-protocol";

/** A fault inside a command is still one reply line: the host never waits in vain. */
function answer(handle: (line: string) => string, line: string): string {
  try {
    return handle(line);
  } catch (e) {
    return "ERR INTERNAL " + String(e);
  }
}

export function serveAdminLine(serial: Serial, handle: (line: string) => string): void {
  let parts: string[] = [];
  let length = 0;
  let overlong = false;
  const reply = (text: string) => {
    const b: Bytes = alloc(text.length + 2);
    for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i) & 255;
    b[text.length] = 13;
    b[text.length + 1] = 10;
    serial.write(b);
  };
  serial.onData((data) => {
    let piece = "";
    for (let i = 0; i < data.length; i++) {
      const c = data[i];
      if (c === 13 || c === 10) {
        if (!overlong) parts.push(piece);
        const line = overlong ? "" : parts.join("");
        const wasOverlong = overlong;
        // Reset before the command runs: its pieces are not held beside the line (a KEYSET's hex is long).
        parts = [];
        piece = "";
        length = 0;
        overlong = false;
        if (wasOverlong) reply("ERR LINE_TOO_LONG a line holds at most " + MAX_ADMIN_LINE + " characters");
        else if (line.length > 0) reply(answer(handle, line));
      } else if (!overlong) {
        length++;
        if (length > MAX_ADMIN_LINE) {
          overlong = true;
          parts = [];
          piece = "";
        } else if (c >= 32 && c < 127) {
          piece += String.fromCharCode(c);
        }
      }
    }
    if (!overlong && piece.length > 0) parts.push(piece);
  });
}
