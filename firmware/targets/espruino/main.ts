// The Espruino target: the only code that knows Espruino exists.
// UARTs: the scan engine and the PN532 on Serial1/Serial2 (pins and baud
// rate from the options; on Espruino's Linux build `path` opens a tty, so a
// pty can stand in for a UART). Flash files through the Storage module.
// The service line is the JS console: pindai("TIME 1795409907").
import type { Bytes } from "../../core/bytes";
import { alloc, overlay } from "../../core/bytes";
import type { Rtc } from "../../hal/clock";
import type { Display, Screen } from "../../hal/display";
import type { Indicator, Signal } from "../../hal/indicator";
import type { Random } from "../../hal/random";
import type { Serial } from "../../hal/serial";
import type { Storage } from "../../hal/storage";
import type { Timers } from "../../hal/timers";
import { type BuildConfig, type Device, startDevice } from "../device";

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const E: any;
declare const Serial1: any;
declare const Serial2: any;
declare function require(name: string): any;
declare function getTime(): number;
declare function setTime(t: number): void;
declare function digitalWrite(pin: any, value: number): void;
declare function analogWrite(pin: any, value: number, opts?: any): void;
declare const global: any;

export interface UartOptions {
  port: "Serial1" | "Serial2";
  baud: number;
  rx?: string;
  tx?: string;
  /** Espruino's Linux build: a tty path (for example a pty of the simulator). */
  path?: string;
}

export interface EspruinoOptions {
  scanEngine?: UartOptions;
  reader?: UartOptions;
  ledGreen?: string;
  ledRed?: string;
  buzzer?: string;
}

function uart(o: UartOptions): Serial {
  const port = o.port === "Serial2" ? Serial2 : Serial1;
  const setup: any = {};
  if (o.rx !== undefined) setup.rx = o.rx;
  if (o.tx !== undefined) setup.tx = o.tx;
  if (o.path !== undefined) setup.path = o.path;
  port.setup(o.baud, setup);
  return {
    write: (d: Bytes) => port.write(d),
    onData: (h: (d: Bytes) => void) => port.on("data", (s: string) => h(E.toUint8Array(s))),
    close: () => {},
  };
}

// Storage files are replaced whole: Espruino writes the new file before it
// drops the old one, so each file changes atomically. A write into bytes that
// are still erased (0xFF, past offset 0) goes in place instead, costing only
// those bytes: the audit log appends that way (app/record-ring.ts).
export const storage: Storage = {
  read(name: string): Bytes | undefined {
    const ab = require("Storage").readArrayBuffer(name);
    return ab === undefined ? undefined : new Uint8Array(ab);
  },
  write(name: string, data: Bytes, offset: number): void {
    const old = storage.read(name);
    let erased = offset > 0 && old !== undefined && offset + data.length <= old.length;
    for (let i = 0; erased && i < data.length; i++) if (old![offset + i] !== 0xff) erased = false;
    if (erased) require("Storage").write(name, data, offset);
    else require("Storage").write(name, overlay(old, data, offset));
  },
  erase(name: string): void {
    require("Storage").erase(name);
  },
};

// The RTC restarts near 0 after a power loss: a time before 2001 was never set.
const rtc: Rtc = {
  seconds: () => Math.floor(getTime()),
  set: (t: number) => setTime(t),
  wasSet: () => getTime() > 1000000000,
};

const random: Random = {
  bytes(n: number): Bytes {
    const out = alloc(n);
    for (let i = 0; i < n; i += 4) {
      const r = E.hwRand();
      for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = (r >>> (8 * k)) & 255;
    }
    return out;
  },
};

const timers: Timers = {
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms) as unknown as number,
  clearTimeout: (h: number) => clearTimeout(h as any),
  millis: () => getTime() * 1000,
};

const consoleDisplay: Display = {
  show(s: Screen): void {
    let t = "[" + s.color + "] " + s.title;
    for (let i = 0; i < s.lines.length; i++) t += "\n  " + s.lines[i];
    for (let i = 0; i < s.warnings.length; i++) t += "\n  ! " + s.warnings[i];
    console.log(t);
  },
};

// A pin named in the build config that this board lacks must not stop the
// verifier: the screen still shows the verdict.
function pinWrite(pin: string, v: number): void {
  try {
    digitalWrite(pin, v);
  } catch (e) {
    console.log("pin " + pin + ": " + e);
  }
}

function indicator(o: EspruinoOptions): Indicator {
  return {
    signal(s: Signal): void {
      if (o.ledGreen !== undefined) pinWrite(o.ledGreen, s === "ok" || s === "warn" ? 1 : 0);
      if (o.ledRed !== undefined) pinWrite(o.ledRed, s === "fail" || s === "warn" ? 1 : 0);
      if (o.buzzer !== undefined && s !== "off") {
        const buzzer = o.buzzer;
        try {
          analogWrite(buzzer, 0.5, { freq: s === "fail" ? 1000 : 2500 });
        } catch (e) {
          console.log("buzzer: " + e);
        }
        setTimeout(() => pinWrite(buzzer, 0), s === "fail" ? 800 : 120);
      }
    },
  };
}

export function start(cfg: BuildConfig, o: EspruinoOptions): Device {
  const dev = startDevice(
    cfg,
    { display: consoleDisplay, indicator: indicator(o), storage, rtc, timers, random },
    o.scanEngine === undefined ? undefined : uart(o.scanEngine),
    o.reader === undefined ? undefined : uart(o.reader),
  );
  // The service line on the console: pindai("KEYSET d284...").
  global.pindai = (line: string) => {
    const r = dev.admin(line);
    for (let i = 0; i < r.length; i++) console.log(r[i]);
  };
  return dev;
}
