// A USB scanner that types like a keyboard, read straight from its Linux
// input device (/dev/input/eventN, or /dev/input/by-id/...-event-kbd), so
// the device needs no terminal and no login session: each key press comes as
// a struct input_event, turned back into the characters the scanner typed
// (a US keyboard layout, as scanners ship), one line per Enter. This is a
// receive-only Serial, the same as a scan engine's line.
//
// struct input_event (linux/input.h): struct timeval (two longs), __u16 type,
// __u16 code, __s32 value: 24 bytes where a long is 8 bytes (64-bit
// userspace), 16 where it is 4 (32-bit, e.g. Raspberry Pi OS armhf).
import { closeSync, constants, openSync, read } from "node:fs";
import type { Serial } from "../../hal/serial";

export const EV_KEY = 1;
const KEY_ENTER = 28;
const KEY_KPENTER = 96;
const KEY_LEFTSHIFT = 42;
const KEY_RIGHTSHIFT = 54;
const KEY_CAPSLOCK = 58;

/** The size of one event for this process's word size (or the one given). */
export function eventSize(arch: string = process.arch): number {
  return ["arm", "ia32", "mips", "mipsel", "ppc"].includes(arch) ? 16 : 24;
}

// Key codes (linux/input-event-codes.h) to [plain, shifted] characters, US layout.
// Everything a PD1: code is made of: digits, A-Z, space and $ % * + - . / : (Base45).
const KEYS: Record<number, [string, string]> = {
  2: ["1", "!"], 3: ["2", "@"], 4: ["3", "#"], 5: ["4", "$"], 6: ["5", "%"], 7: ["6", "^"], 8: ["7", "&"], 9: ["8", "*"], 10: ["9", "("], 11: ["0", ")"],
  12: ["-", "_"], 13: ["=", "+"], 39: [";", ":"], 40: ["'", '"'], 41: ["`", "~"], 43: ["\\", "|"], 51: [",", "<"], 52: [".", ">"], 53: ["/", "?"],
  26: ["[", "{"], 27: ["]", "}"], 57: [" ", " "],
  // the keypad, which some scanners use for digits
  71: ["7", "7"], 72: ["8", "8"], 73: ["9", "9"], 74: ["-", "-"], 75: ["4", "4"], 76: ["5", "5"], 77: ["6", "6"], 78: ["+", "+"],
  79: ["1", "1"], 80: ["2", "2"], 81: ["3", "3"], 82: ["0", "0"], 83: [".", "."], 98: ["/", "/"], 55: ["*", "*"],
};
const LETTER_ROWS: Array<[number, string]> = [
  [16, "qwertyuiop"],
  [30, "asdfghjkl"],
  [44, "zxcvbnm"],
];
for (const [first, row] of LETTER_ROWS) for (let i = 0; i < row.length; i++) KEYS[first + i] = [row[i], row[i].toUpperCase()];

/** The key code that types `ch`, and whether it needs shift (for tests that type a code). */
export function keyFor(ch: string): { code: number; shift: boolean } | undefined {
  for (const code of Object.keys(KEYS)) {
    const [plain, shifted] = KEYS[Number(code)];
    if (Number(code) >= 71 && Number(code) !== 57) continue; // prefer the main keys
    if (plain === ch) return { code: Number(code), shift: false };
    if (shifted === ch) return { code: Number(code), shift: true };
  }
  return undefined;
}

/** Longest line kept (a QR code holds at most 4,296 characters); longer input is dropped to the next Enter. */
export const MAX_SCAN_LINE = 4400;

/** Key events in, typed text out: keeps the shift and caps lock state across chunks. */
export class KeyDecoder {
  private shift = 0;
  private caps = false;
  private line = "";
  private overlong = false;
  private rest = new Uint8Array(0);

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly size = eventSize(),
  ) {}

  /** Raw bytes from the device; events may be split across chunks. */
  push(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.rest.length > 0) {
      buf = new Uint8Array(this.rest.length + chunk.length);
      buf.set(this.rest, 0);
      buf.set(chunk, this.rest.length);
    }
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const t = this.size - 8; // type, code, value follow the timeval
    let off = 0;
    for (; off + this.size <= buf.length; off += this.size) {
      const type = view.getUint16(off + t, true);
      const code = view.getUint16(off + t + 2, true);
      const value = view.getInt32(off + t + 4, true);
      if (type === EV_KEY) this.key(code, value);
    }
    this.rest = buf.slice(off);
  }

  private key(code: number, value: number): void {
    if (code === KEY_LEFTSHIFT || code === KEY_RIGHTSHIFT) {
      this.shift = Math.max(0, this.shift + (value === 1 ? 1 : value === 0 ? -1 : 0));
      return;
    }
    if (value === 0) return; // releases; 1 is a press, 2 a repeat
    if (code === KEY_CAPSLOCK) {
      if (value === 1) this.caps = !this.caps;
      return;
    }
    if (code === KEY_ENTER || code === KEY_KPENTER) {
      if (!this.overlong && this.line.length > 0) this.onLine(this.line);
      this.line = "";
      this.overlong = false;
      return;
    }
    const k = KEYS[code];
    if (k === undefined) return; // function keys, modifiers: not part of a code
    let ch = this.shift > 0 ? k[1] : k[0];
    if (this.caps && /^[a-zA-Z]$/.test(ch)) ch = ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase();
    if (this.line.length >= MAX_SCAN_LINE) this.overlong = true;
    else this.line += ch;
  }
}

export interface EvdevOptions {
  /** A note when the device goes away or comes back (unplugged, replugged). */
  note: (line: string) => void;
  /** How soon to try the device again after it went away. */
  retryMs?: number;
  eventSize?: number;
}

/** How often the device is read when it had nothing (a scanner types a code in well under a second). */
export const EVDEV_POLL_MS = 10;

/**
 * The scanner as a receive-only Serial: each scanned line, then "\n". The device is read
 * without blocking (O_NONBLOCK, looked at every EVDEV_POLL_MS when it had nothing): a read
 * blocked in Node's thread pool would keep the process from exiting on SIGTERM. It is
 * opened again after it goes away (unplugged), every retryMs.
 */
export function evdevScanner(path: string, o: EvdevOptions): Serial {
  let handler: ((d: Uint8Array) => void) | undefined;
  let fd: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let lost = false;
  const size = o.eventSize ?? eventSize();
  const buf = Buffer.alloc(64 * size);
  const decoder = new KeyDecoder((line) => handler?.(new Uint8Array(Buffer.from(line + "\n", "latin1"))), size);
  const later = (fn: () => void, ms: number) => {
    if (!closed) timer = setTimeout(fn, ms);
  };
  const gone = (why: string) => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    if (!lost) o.note(`warning: scanner ${path}: ${why}; trying again every ${Math.round((o.retryMs ?? 2000) / 1000)} s`);
    lost = true;
    later(open, o.retryMs ?? 2000);
  };
  const readSome = () => {
    if (closed || fd === undefined) return;
    read(fd, buf, 0, buf.length, null, (e, n) => {
      if (closed) return;
      if (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN" || code === "EWOULDBLOCK") return later(readSome, EVDEV_POLL_MS);
        return gone(code === "ENODEV" ? "the device went away (unplugged?)" : (code ?? e.message));
      }
      if (n === 0) return later(readSome, EVDEV_POLL_MS); // a FIFO with no writer yet
      decoder.push(new Uint8Array(buf.subarray(0, n)));
      readSome();
    });
  };
  const open = () => {
    if (closed) return;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return gone(code === "ENOENT" ? "no such device (unplugged?)" : code === "EACCES" ? "permission denied (add the user to the input group)" : (code ?? String(e)));
    }
    if (lost) o.note(`scanner ${path}: reading again`);
    lost = false;
    readSome();
  };
  open();
  return {
    write() {},
    onData(h) {
      handler = h;
    },
    close() {
      closed = true;
      clearTimeout(timer);
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
