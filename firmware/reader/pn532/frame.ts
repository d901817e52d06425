// PN532 frames over HSU (NXP UM0701-02 section 6.2.1):
//   normal      00 00 FF LEN LCS TFI PD0..PDn DCS 00     (LEN + LCS = 0, TFI + PD + DCS = 0 mod 256)
//   extended    00 00 FF FF FF LENM LENL LCS TFI PD.. DCS 00
//   ACK         00 00 FF 00 FF 00          NACK  00 00 FF FF 00 00
//   error frame 00 00 FF 01 FF 7F 81 00    (application-level error, 6.2.1.5)
// The parser takes bytes in any chunks, skips garbage, resynchronises on the
// next 00 FF start code after a bad checksum, and bounds its buffer.
import { type Bytes, alloc, bytesOf, concat, slice } from "../../core/bytes";

export const TFI_HOST = 0xd4; // host -> PN532
export const TFI_PN532 = 0xd5; // PN532 -> host
export const ACK: Bytes = bytesOf([0x00, 0x00, 0xff, 0x00, 0xff, 0x00]);
export const NACK: Bytes = bytesOf([0x00, 0x00, 0xff, 0xff, 0x00, 0x00]);
export const ERROR_FRAME: Bytes = bytesOf([0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00]);
/** Largest information field (TFI + data) the parser accepts: PN532 frames hold at most 265. */
export const MAX_FRAME_DATA = 265;

/** Encode an information frame around `body` = TFI followed by the command code and data. */
export function encodeFrame(body: Bytes): Bytes {
  const n = body.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += body[i];
  const dcs = (256 - (sum & 0xff)) & 0xff;
  let head: Bytes;
  if (n < 256) {
    head = bytesOf([0x00, 0x00, 0xff, n, (256 - n) & 0xff]);
  } else {
    const m = Math.floor(n / 256);
    const l = n & 0xff;
    head = bytesOf([0x00, 0x00, 0xff, 0xff, 0xff, m, l, (256 - ((m + l) & 0xff)) & 0xff]);
  }
  return concat([head, body, bytesOf([dcs, 0x00])]);
}

/** Host command frame: D4 CMD DATA. */
export function commandFrame(cmd: number, data: Bytes): Bytes {
  return encodeFrame(concat([bytesOf([TFI_HOST, cmd]), data]));
}

export type FrameEvent =
  | { type: "ack" }
  | { type: "nack" }
  | { type: "error-frame" }
  | { type: "frame"; body: Bytes } // TFI + command code + data
  | { type: "bad-checksum" };

const MAX_BUFFER = 2 * (MAX_FRAME_DATA + 10);

export class FrameParser {
  private buf: Bytes = alloc(0);
  /** Bytes before `pos` in `buf` are done with. */
  private pos = 0;
  /**
   * Bytes looked at so far (start code search and checksums): the parser's
   * cost, linear in its input. A bad frame costs at most its own header and
   * data (<= 275 bytes) and the search never goes back, so a chunk of n bytes
   * costs O(n) whatever it holds.
   */
  examined = 0;

  constructor(private readonly onEvent: (ev: FrameEvent) => void) {}

  push(chunk: Bytes): void {
    // From `pos`: a handler may push while a drain is under way (a reply that
    // arrives within write()), and what that drain consumed must not come back.
    this.buf = concat([slice(this.buf, this.pos, this.buf.length), chunk]);
    this.pos = 0;
    this.drain();
    // Keep only what is not done with (an incomplete frame), and never more
    // than MAX_BUFFER: a stream of garbage never grows it without limit.
    const keep = this.buf.length - this.pos > MAX_BUFFER ? this.buf.length - MAX_BUFFER : this.pos;
    this.buf = slice(this.buf, keep, this.buf.length);
    this.pos = 0;
  }

  reset(): void {
    this.buf = alloc(0);
    this.pos = 0;
  }

  /** Emit one event; false when the handler reset or fed the parser (then this drain stops). */
  private emit(b: Bytes, next: number, ev: FrameEvent): boolean {
    this.pos = next;
    this.onEvent(ev);
    return this.buf === b;
  }

  private drain(): void {
    const b = this.buf;
    let i = this.pos;
    for (;;) {
      const from = i;
      while (i + 1 < b.length && !(b[i] === 0x00 && b[i + 1] === 0xff)) i++;
      this.examined += i - from + 1;
      if (i + 1 >= b.length) {
        // no start code: keep a trailing 00 that may begin one (if no frame used it)
        this.pos = i < b.length && b[b.length - 1] === 0x00 ? b.length - 1 : b.length;
        return;
      }
      this.pos = i; // from here on, an incomplete frame is kept whole
      if (i + 4 > b.length) return;
      const len = b[i + 2];
      const lcs = b[i + 3];
      if (len === 0x00 && lcs === 0xff) {
        if (!this.emit(b, i + 4, { type: "ack" })) return;
        i += 4;
        continue;
      }
      if (len === 0xff && lcs === 0x00) {
        if (!this.emit(b, i + 4, { type: "nack" })) return;
        i += 4;
        continue;
      }
      let n: number;
      let start: number;
      if (len === 0xff && lcs === 0xff) {
        if (i + 7 > b.length) return;
        n = b[i + 4] * 256 + b[i + 5];
        if (((b[i + 4] + b[i + 5] + b[i + 6]) & 0xff) !== 0 || n === 0 || n > MAX_FRAME_DATA) {
          // A bad frame: report it and look for the next start code after this one.
          if (!this.emit(b, i + 2, { type: "bad-checksum" })) return;
          i += 2;
          continue;
        }
        start = i + 7;
      } else {
        n = len;
        if (((len + lcs) & 0xff) !== 0 || n === 0) {
          if (!this.emit(b, i + 2, { type: "bad-checksum" })) return;
          i += 2;
          continue;
        }
        start = i + 4;
      }
      if (start + n + 1 > b.length) return;
      let sum = 0;
      for (let k = start; k <= start + n; k++) sum += b[k];
      this.examined += n + 1;
      if ((sum & 0xff) !== 0) {
        if (!this.emit(b, i + 2, { type: "bad-checksum" })) return;
        i += 2;
        continue;
      }
      const body = slice(b, start, start + n);
      const ev: FrameEvent = n === 1 && body[0] === 0x7f ? { type: "error-frame" } : { type: "frame", body };
      if (!this.emit(b, start + n + 1, ev)) return;
      i = start + n + 1;
    }
  }
}
