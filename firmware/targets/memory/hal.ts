// In-memory HALs, portable to every runtime: the device session that the
// conformance suite replays identically on Node, Lua and Espruino, and a
// starting point for a new target. Time is virtual and only moves when told.
import { type Bytes, alloc, overlay } from "../../core/bytes";
import type { Rtc } from "../../hal/clock";
import type { Display, Screen } from "../../hal/display";
import type { Indicator, Signal } from "../../hal/indicator";
import type { Random } from "../../hal/random";
import type { Serial } from "../../hal/serial";
import type { Storage } from "../../hal/storage";
import type { Timers } from "../../hal/timers";
import { cellMetrics, frameDigest, layout } from "../../app/layout";

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

/** Timers on a virtual millisecond clock; advance() runs what falls due, in order. */
export class VirtualTimers implements Timers {
  private now = 0;
  private next = 1;
  private pending: Pending[] = [];

  setTimeout(fn: () => void, ms: number): number {
    const id = this.next++;
    this.pending.push({ id, at: this.now + ms, fn });
    return id;
  }

  clearTimeout(id: number): void {
    const keep: Pending[] = [];
    for (let i = 0; i < this.pending.length; i++) if (this.pending[i].id !== id) keep.push(this.pending[i]);
    this.pending = keep;
  }

  millis(): number {
    return this.now;
  }

  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let first = -1;
      for (let i = 0; i < this.pending.length; i++) {
        const p = this.pending[i];
        if (p.at <= end && (first < 0 || p.at < this.pending[first].at || (p.at === this.pending[first].at && p.id < this.pending[first].id))) first = i;
      }
      if (first < 0) break;
      const p = this.pending[first];
      this.pending.splice(first, 1);
      if (p.at > this.now) this.now = p.at;
      p.fn();
    }
    this.now = end;
  }
}

export class MemoryStorage implements Storage {
  private names: string[] = [];
  private data: Bytes[] = [];

  private index(name: string): number {
    for (let i = 0; i < this.names.length; i++) if (this.names[i] === name) return i;
    return -1;
  }

  read(name: string): Bytes | undefined {
    const i = this.index(name);
    return i < 0 ? undefined : this.data[i];
  }

  write(name: string, bytes: Bytes, offset: number): void {
    let i = this.index(name);
    if (i < 0) {
      this.names.push(name);
      this.data.push(alloc(0));
      i = this.names.length - 1;
    }
    this.data[i] = overlay(this.data[i], bytes, offset);
  }

  erase(name: string): void {
    const i = this.index(name);
    if (i < 0) return;
    this.names.splice(i, 1);
    this.data.splice(i, 1);
  }
}

export class ManualRtc implements Rtc {
  private t = 0;
  private isSet = false;
  seconds(): number {
    return this.t;
  }
  set(s: number): void {
    this.t = s;
    this.isSet = true;
  }
  wasSet(): boolean {
    return this.isSet;
  }
  advance(s: number): void {
    this.t += s;
  }
}

/** A deterministic byte stream (xorshift32): reproducible challenges and salts. */
export class SeededRandom implements Random {
  constructor(private state: number) {}
  bytes(n: number): Bytes {
    const out = alloc(n);
    for (let i = 0; i < n; i++) {
      let x = this.state;
      x = (x ^ (x << 13)) >>> 0;
      x = (x ^ (x >>> 17)) >>> 0;
      x = (x ^ (x << 5)) >>> 0;
      this.state = x;
      out[i] = x & 255;
    }
    return out;
  }
}

/**
 * Writes what the screen and the indicator did into a transcript. A screen
 * shown again with only its countdown changed is not a new line; each new
 * screen is also laid out on a 128x64 panel (app/layout.ts), and the line
 * ends with a digest of that frame, so the suite proves the layout the same
 * on every runtime.
 */
export class Transcript implements Display, Indicator {
  lines: string[] = [];
  private last = "";
  private panel = cellMetrics(128, 64, false, 6, 8, 2);
  show(s: Screen): void {
    let l = "screen " + s.color + " " + s.title;
    for (let i = 0; i < s.lines.length; i++) l += " | " + s.lines[i];
    for (let i = 0; i < s.warnings.length; i++) l += " ! " + s.warnings[i];
    if (l === this.last) return;
    this.last = l;
    this.lines.push(l + " @" + frameDigest(layout(s, this.panel)));
  }
  signal(x: Signal): void {
    this.lines.push("signal " + x);
  }
}

/** A serial line whose far end answers each written chunk from a script of replies. */
export class ScriptedSerial implements Serial {
  private handler: ((d: Bytes) => void) | undefined = undefined;
  written: Bytes[] = [];
  constructor(private readonly reply: (written: Bytes) => Bytes | undefined) {}
  write(d: Bytes): void {
    this.written.push(d);
    const r = this.reply(d);
    if (r !== undefined && r.length > 0 && this.handler !== undefined) this.handler(r);
  }
  onData(h: (d: Bytes) => void): void {
    this.handler = h;
  }
  close(): void {}
  /** Bytes arriving unasked (a scan engine line). */
  feed(d: Bytes): void {
    if (this.handler !== undefined) this.handler(d);
  }
}
