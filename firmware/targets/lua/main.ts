// The Lua target: the only code that knows Lua exists. It runs on a
// NodeMCU-style HAL contract (the modules below, as on ESP8266/ESP32 NodeMCU
// firmware); stdio-hal.lua implements the same contract on plain Lua 5.3/5.4
// with stdin/stdout, for tests and Linux-class devices.
//
//   uart.setup(id, baud, 8, 0, 1, 0 | {tx=, rx=})  uart.on(id, "data", 0, fn(str), 0)   uart.write(id, str)
//   file.open(name, mode) -> f | nil        f:read(n) f:write(str) f:seek("set", n) f:close()   file.remove(name)
//   tmr.create() -> t; t:alarm(ms, tmr.ALARM_SINGLE, fn); t:unregister()          tmr.now() (microseconds)
//   gpio.mode(pin, gpio.OUTPUT)             gpio.write(pin, gpio.HIGH | gpio.LOW)
//   rtctime.get() -> seconds                rtctime.set(seconds)
//   node.random(lo, hi) -> integer (hardware RNG)
// Strings on Lua are byte strings: s.charCodeAt(i) is a byte, String.fromCharCode(b) one byte.
import type { Bytes } from "../../core/bytes";
import { alloc } from "../../core/bytes";
import type { Rtc } from "../../hal/clock";
import type { Display, Screen } from "../../hal/display";
import type { Indicator, Signal } from "../../hal/indicator";
import type { Random } from "../../hal/random";
import type { Serial } from "../../hal/serial";
import type { Storage } from "../../hal/storage";
import type { Timers } from "../../hal/timers";
import { type BuildConfig, type Device, buildOptions, startDevice } from "../device";
import { NATIVES } from "../../core/natives";
import type { Ssd1306Options } from "./display-ssd1306";
import type { ConsoleOptions } from "./display-console";

/** @noSelf */
declare namespace uart {
  function setup(id: number, baud: number, databits: number, parity: number, stopbits: number, echoOrPins: number | { tx: number; rx: number }): void;
  function on(id: number, event: string, n: number, cb: (data: string) => void, runLua: number): void;
  function write(id: number, data: string): void;
}
interface LuaFile {
  read(n?: number): string | undefined;
  write(s: string): boolean;
  seek(whence: string, offset: number): number | undefined;
  close(): void;
}
/** @noSelf */
declare namespace file {
  function open(name: string, mode: string): LuaFile | undefined;
  function remove(name: string): void;
}
interface LuaTimer {
  alarm(ms: number, mode: number, cb: () => void): boolean;
  unregister(): void;
}
/** @noSelf */
declare namespace tmr {
  const ALARM_SINGLE: number;
  function create(): LuaTimer;
  function now(): number;
}
/** @noSelf */
declare namespace gpio {
  const OUTPUT: number;
  const HIGH: number;
  const LOW: number;
  function mode(pin: number, mode: number): void;
  function write(pin: number, level: number): void;
}
/** @noSelf */
declare namespace rtctime {
  function get(): number;
  function set(s: number): void;
}
/** @noSelf */
declare namespace node {
  function random(lo: number, hi: number): number;
}
/** @noSelf */
declare function print(...args: unknown[]): void;

// The Lua natives (natives.lua, in front of the image) also turn a string into
// compact Bytes: a flash file read costs its length in RAM, not 16 bytes per
// byte (an audit page rewritten on every scan is read first: 16 KB as a table).
const stringBytes = NATIVES.stringBytes;

function toBytes(s: string): Bytes {
  const b = alloc(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

function toText(b: Bytes): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

export interface UartOptions {
  id: number;
  baud: number;
  /** The pins, on an ESP32 (NodeMCU there takes a uart other than the console only with them). */
  tx?: number;
  rx?: number;
}

export interface LuaOptions {
  /** The admin line (default uart 0, NodeMCU's console: run_input 0 keeps what arrives away from the Lua REPL). */
  admin?: UartOptions;
  scanEngine?: UartOptions;
  reader?: UartOptions;
  ledGreen?: number;
  ledRed?: number;
  /** The screen: its driver (display-<type>.ts, the only one the build bundles), bus and pins. */
  display?: DisplayOptions;
}

export type DisplayOptions = Ssd1306Options | ConsoleOptions;

/** Set by the image's loader (host/build/lua-lazy.ts): drops the functions loaded from flash once more than `above` bytes of their source are. */
declare const PINDAI_LAZY_DROP: ((above: number) => void) | undefined;

// Once the device has been idle for IDLE_MS after an event (a timer, bytes
// on a uart), the functions a scan or an admin command loaded from flash
// (about 60 KB of source for a scan) are dropped: between scans it holds its
// state, not their code; the next scan loads its own again from the bytecode
// cache. The card poller's few functions (about 6 KB, every cardPollMs) stay.
const IDLE_MS = 200;
const IDLE_KEEP = 16_000;
let idleTimer: LuaTimer | undefined;
function eventDone(): void {
  if (typeof PINDAI_LAZY_DROP !== "function") return;
  if (idleTimer === undefined) idleTimer = tmr.create();
  idleTimer.unregister();
  idleTimer.alarm(IDLE_MS, tmr.ALARM_SINGLE, () => PINDAI_LAZY_DROP!(IDLE_KEEP));
}

function luaUart(o: UartOptions): Serial {
  // ESP32 NodeMCU: the pins as a table in place of the echo flag; ESP8266: no echo.
  uart.setup(o.id, o.baud, 8, 0, 1, o.tx === undefined ? 0 : { tx: o.tx, rx: o.rx! });
  return {
    write: (d: Bytes) => uart.write(o.id, toText(d)),
    onData: (h: (d: Bytes) => void) =>
      uart.on(o.id, "data", 0, (s: string) => {
        h(toBytes(s));
        eventDone();
      }, 0),
    close: () => {},
  };
}

const storage: Storage = {
  read(name: string): Bytes | undefined {
    const f = file.open(name, "rb");
    if (f === undefined) return undefined;
    let s = "";
    for (;;) {
      const part = f.read(1024);
      if (part === undefined || part.length === 0) break;
      s += part;
    }
    f.close();
    return stringBytes !== undefined ? stringBytes(s) : toBytes(s);
  },
  // In place, never a rewrite (hal/storage.ts: a cut leaves a prefix of this
  // write and the rest of the file as it was): the bytes at `offset` only, and
  // past the end the file grows (a gap between its end and `offset` is 0xFF).
  write(name: string, data: Bytes, offset: number): void {
    let f = file.open(name, "r+b");
    if (f === undefined) f = file.open(name, "w+b");
    if (f === undefined) return;
    const end = f.seek("end", 0);
    const size = end === undefined ? 0 : end;
    let gap = "";
    for (let i = size; i < offset; i++) gap += String.fromCharCode(0xff);
    if (f.seek("set", offset < size ? offset : size) !== undefined) f.write(gap + toText(data));
    f.close();
  },
  erase(name: string): void {
    file.remove(name);
  },
};

// rtctime restarts at 0 after a power loss: a time before 2001 was never set.
const rtc: Rtc = {
  seconds: () => Math.floor(rtctime.get()),
  set: (t: number) => rtctime.set(t),
  wasSet: () => rtctime.get() > 1000000000,
};

const random: Random = {
  bytes(n: number): Bytes {
    const out = alloc(n);
    for (let i = 0; i < n; i++) out[i] = node.random(0, 255);
    return out;
  },
};

function luaTimers(): Timers {
  const live: LuaTimer[] = [];
  const ids: number[] = [];
  let next = 1;
  return {
    setTimeout(fn: () => void, ms: number): number {
      const t = tmr.create();
      const id = next++;
      live.push(t);
      ids.push(id);
      t.alarm(ms < 1 ? 1 : Math.floor(ms), tmr.ALARM_SINGLE, () => {
        for (let i = 0; i < ids.length; i++) {
          if (ids[i] === id) {
            ids.splice(i, 1);
            live.splice(i, 1);
            break;
          }
        }
        fn();
        eventDone();
      });
      return id;
    },
    clearTimeout(id: number): void {
      for (let i = 0; i < ids.length; i++) {
        if (ids[i] === id) {
          live[i].unregister();
          ids.splice(i, 1);
          live.splice(i, 1);
          return;
        }
      }
    },
    millis: () => Math.floor(tmr.now() / 1000),
  };
}

/** No display configured: the LEDs are all the guard gets (the build says so). */
const noDisplay: Display = { show(s: Screen): void {} };

function indicator(o: LuaOptions): Indicator {
  if (o.ledGreen !== undefined) gpio.mode(o.ledGreen, gpio.OUTPUT);
  if (o.ledRed !== undefined) gpio.mode(o.ledRed, gpio.OUTPUT);
  return {
    signal(s: Signal): void {
      if (o.ledGreen !== undefined) gpio.write(o.ledGreen, s === "ok" || s === "warn" ? gpio.HIGH : gpio.LOW);
      if (o.ledRed !== undefined) gpio.write(o.ledRed, s === "fail" || s === "warn" ? gpio.HIGH : gpio.LOW);
    },
  };
}

/** makeDisplay: the configured driver's display(), handed in by the build's generated entry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function start(cfg: BuildConfig, o: LuaOptions, makeDisplay?: (o: any) => Display): Device {
  return startDevice(
    {
      display: makeDisplay !== undefined && o.display !== undefined ? makeDisplay(o.display) : noDisplay, indicator: indicator(o), storage, rtc, timers: luaTimers(), random,
      scanEngine: o.scanEngine === undefined ? undefined : luaUart(o.scanEngine),
      reader: o.reader === undefined ? undefined : luaUart(o.reader),
      admin: luaUart(o.admin === undefined ? { id: 0, baud: 115200 } : o.admin),
    },
    // No Ed25519 tables: a file read here is a Lua table in RAM (16 bytes per byte), and
    // Lua 5.4 verifies in ~40 ms without them.
    buildOptions(cfg, false),
  );
}
