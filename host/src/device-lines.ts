// What a device says, as whole lines. Bytes arrive however the link cuts them
// (a USB packet, a pty read, a TCP segment): a pattern is only ever matched
// against a line that has ended, so "OK pindai flash-te" never passes for the
// version "flash-test". Every wait has a deadline and nothing waits a fixed
// time: a wait ends as soon as the line it needs has arrived.

import { CONNECT_MS, connectTcp, floodGuard } from "../issuer/tcp";

/** Bytes a second past which a peer is no Espruino console. */
export const FLOOD_BYTES = 1 << 20;

/** A line longer than this is a runaway device or a flood: it is dropped, memory stays bounded. */
export const MAX_DEVICE_LINE = 64 * 1024;

export class LineTimeout extends Error {}

interface Waiter {
  re: RegExp;
  found: (m: RegExpExecArray) => void;
  lost: (e: Error) => void;
}

export class DeviceLines {
  private partial = "";
  private waiters: Waiter[] = [];
  private ended: string | undefined;
  /** Every whole line, for --verbose. */
  onLine: (line: string) => void = () => {};

  /** Bytes from the device, as received. */
  push(text: string): void {
    this.partial += text;
    let nl: number;
    while ((nl = this.partial.indexOf("\n")) >= 0) {
      const line = this.partial.slice(0, nl).replace(/\r+$/, "");
      this.partial = this.partial.slice(nl + 1);
      this.line(line);
    }
    if (this.partial.length > MAX_DEVICE_LINE) this.partial = "";
  }

  /** The link is gone: every wait ends now, and every later one at once. */
  end(reason: string): void {
    if (this.ended === undefined) this.ended = reason; // the first reason is the one (a flood, then the close it caused)
    for (const w of this.waiters.splice(0)) w.lost(new LineTimeout(reason));
  }

  private line(line: string): void {
    this.onLine(line);
    for (const w of this.waiters.slice()) {
      const m = w.re.exec(line);
      if (m) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.found(m);
      }
    }
  }

  /**
   * The first whole line from now on that matches `re`; `send` is called once the wait is
   * in place (so a fast answer is never missed), and again every `resendMs` if given (a
   * device still starting up). Rejects with LineTimeout after `ms`.
   */
  request(what: string, ms: number, re: RegExp, send: () => void, resendMs?: number): Promise<RegExpExecArray> {
    return new Promise<RegExpExecArray>((resolve, reject) => {
      if (this.ended !== undefined) return reject(new LineTimeout(`${what}: ${this.ended}`));
      let again: NodeJS.Timeout | undefined;
      const stop = () => {
        clearTimeout(deadline);
        clearInterval(again);
      };
      const w: Waiter = {
        re,
        found: (m) => (stop(), resolve(m)),
        lost: (e) => (stop(), reject(new LineTimeout(`${what}: ${e.message}`))),
      };
      const deadline = setTimeout(() => {
        clearInterval(again);
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new LineTimeout(`${what}: no answer within ${ms} ms`));
      }, ms);
      this.waiters.push(w);
      send();
      if (resendMs !== undefined) again = setInterval(send, resendMs);
    });
  }
}

/** Closing brackets on a line of their own: a line cut off inside open brackets (an upload broken off, bytes lost) is ended, with a harmless error. */
export const END_HALF_LINE = "\n" + ")".repeat(12) + "\n";

/** How a REPL request is sent again, and what its answer must be. */
export interface ReplRequestOptions {
  /** Sent again every resendMs while unanswered: only for an expression that does the same when run twice. */
  resendMs?: number;
  /** Hears of each time it is sent again (the count of sends before). */
  resent?: (times: number) => void;
  /** The answer's JSON as a regular expression's source (default: any): any other answer is not this request's. */
  answer?: string;
  /**
   * Each resend clears the REPL's input line first (Ctrl-C, then the line CLEAR_MS later), where
   * END_HALF_LINE cannot end what bytes lost or mangled on the way left open (a lost quote turns
   * a chunk of code inside out: dozens of brackets open, and the REPL holds every line after it).
   * Only for requests that run quickly: Ctrl-C also breaks off code running on the device. Resends
   * must be over 5 s apart: two Ctrl-C on an empty line within 5 s end Espruino for Linux.
   */
  clearLine?: boolean;
}

/** Between a resend's Ctrl-C and its line: the REPL clears its line at the end of the loop that saw the Ctrl-C. */
export const CLEAR_MS = 300;

/**
 * One JavaScript expression on an Espruino REPL, its value as JSON on a line of its own:
 * `<pindai TAG json>`. \x10 keeps the command from being echoed; the tag is unique per
 * request, so an answer to an earlier request that timed out is never taken for this one.
 * A line that lost bytes on the way (Espruino for Linux drops pty bytes now and then) may be
 * no JavaScript (no answer) or other JavaScript (another answer: `answer` refuses it); with
 * resendMs it is then sent again, each time after END_HALF_LINE, which ends a line the loss
 * left open inside brackets, or after clearing the line (clearLine).
 */
let tags = 0;
export function replRequest(lines: DeviceLines, write: (s: string) => void, what: string, code: string, ms: number, o: ReplRequestOptions = {}): Promise<unknown> {
  const tag = `${process.pid.toString(36)}${(++tags).toString(36)}`;
  const re = new RegExp(`<pindai ${tag} (${o.answer ?? ".*"})>$`);
  const line = `\x10print("<pindai ${tag} "+JSON.stringify((${code}))+">")\n`;
  let sent = 0;
  const send = () => {
    if (sent > 0) o.resent?.(sent);
    if (sent++ === 0) write(line);
    else if (!o.clearLine) write(END_HALF_LINE + line);
    else {
      write("\x03");
      setTimeout(() => write(line), CLEAR_MS);
    }
  };
  return lines.request(what, ms, re, send, o.resendMs).then((m) => (m[1] === "undefined" ? undefined : (JSON.parse(m[1]) as unknown)));
}

/** A byte link to a device: a serial port (USB or UART console, a pty) or tcp://HOST:PORT (Espruino's telnet console). */
export interface ByteLink {
  /** Queued; sent in pieces, each once the one before has been taken (see paced). */
  write(text: string): void;
  close(): Promise<void>;
  /** Set when the link broke (the cable pulled, the peer gone): every wait then ends at once. */
  closed: boolean;
}

export class LinkError extends Error {}

/** Opens `port`, feeding what arrives into `lines`; rejects with one sentence saying why not, within timeoutMs. */
export async function openByteLink(port: string, baudRate: number, timeoutMs: number, lines: DeviceLines, onClose: () => void): Promise<ByteLink> {
  // A device's console says a few KB a second: a peer past FLOOD_BYTES a second is cut off (memory stays bounded).
  const flood = (what: string) =>
    floodGuard(FLOOD_BYTES, 1000, () => lines.end(`${what} sent more than ${FLOOD_BYTES} bytes in a second: not an Espruino console (or a line at the wrong baud rate)`));
  if (port.startsWith("tcp://")) {
    // A malformed URL, a refused port or an unknown host: one sentence within CONNECT_MS (host/issuer/tcp.ts).
    const sock = await connectTcp(port, Math.min(timeoutMs, CONNECT_MS)).catch((e: Error) => {
      throw new LinkError(e.message);
    });
    const guard = flood(port);
    const flow = { xoff: false } as { xoff: boolean; resume?: () => void };
    const link: ByteLink = {
      closed: false,
      write: paced((piece, done) => (link.closed ? done() : sock.write(piece, () => done())), flow),
      close: async () => void sock.destroy(),
    };
    sock.on("data", (d: Buffer) => {
      if (guard(d)) lines.push(xonXoff(d.toString("latin1"), flow));
      else sock.destroy();
    });
    sock.on("error", () => {}); // "close" follows and says it
    sock.on("close", () => ((link.closed = true), onClose()));
    return link;
  }
  const { SerialPort } = await import("serialport");
  const { portReason } = await import("../issuer/files");
  const sp = new SerialPort({ path: port, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => sp.open((e) => (e ? reject(new LinkError(`cannot open ${port}: ${portReason(e)}`)) : resolve())));
  const flow = { xoff: false } as { xoff: boolean; resume?: () => void };
  const link: ByteLink = {
    closed: false,
    write: paced((piece, done) => (link.closed || !sp.isOpen ? done() : sp.write(piece, () => sp.drain(() => done()))), flow),
    close: () => new Promise<void>((r) => (sp.isOpen ? sp.close(() => r()) : r())),
  };
  const guard = flood(port);
  sp.on("data", (d: Buffer) => {
    if (guard(d)) lines.push(xonXoff(d.toString("latin1"), flow));
    else if (sp.isOpen) sp.close();
  });
  sp.on("error", () => {}); // a write after the device went away: "close" says it
  sp.on("close", () => ((link.closed = true), onClose()));
  return link;
}

/** Bytes per write: espruino-tools' chunk size, below one read of Espruino for Linux's input thread (32). */
export const PIECE = 20;

/**
 * Writes in pieces of PIECE bytes, the next one only once the link has taken the one before
 * (the write's callback), and holds them while the device says XOFF: a UART's small receive
 * buffer is never handed a whole 1 KB line at once. (Espruino for Linux reads its console one
 * byte at a time on a second thread that pushes into the input queue without a lock while the
 * main loop pops it: any byte can tear the queue, ASSERT(len <= 64) in jshPopIOEvent. No
 * pacing removes that; flash-espruino.ts sends as few bytes as it can instead, README.)
 */
function paced(send: (piece: Buffer, done: () => void) => void, flow: { xoff: boolean; resume?: () => void }): (text: string) => void {
  const queue: Buffer[] = [];
  let busy = false;
  const next = () => {
    if (flow.xoff) {
      flow.resume = next; // the device said XOFF: the next piece waits for its XON
      return;
    }
    const piece = queue.shift();
    if (piece === undefined) {
      busy = false;
      return;
    }
    busy = true;
    send(piece, () => setImmediate(next));
  };
  return (text) => {
    const b = Buffer.from(text, "latin1");
    for (let i = 0; i < b.length; i += PIECE) queue.push(b.subarray(i, i + PIECE));
    if (!busy) next();
  };
}

/** Espruino's software flow control: XOFF (0x13) holds our writes until XON (0x11); both are taken out of the text. */
function xonXoff(text: string, flow: { xoff: boolean; resume?: () => void }): string {
  if (text.indexOf("\x13") < 0 && text.indexOf("\x11") < 0) return text;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\x13") flow.xoff = true;
    else if (text[i] === "\x11") {
      flow.xoff = false;
      const r = flow.resume;
      flow.resume = undefined;
      r?.();
    }
  }
  return text.replace(/[\x11\x13]/g, "");
}

