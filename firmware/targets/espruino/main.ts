// The Espruino target: the only code that knows Espruino exists.
// UARTs: the scan engine and the PN532 on Serial1/Serial2 (pins and baud
// rate from the options; on Espruino's Linux build `path` opens a tty, so a
// pty can stand in for a UART). Flash files through the Storage module.
//
// The locked console: at boot the JavaScript REPL is taken off every port
// (E.setConsole(null, {force: true})) and the Bluetooth UART service is
// switched off, so nothing typed on any line can run code, read or change
// flash, the clock or the key sets. The port the console was on (or the one
// the build config names) carries the admin protocol instead
// (firmware/app/admin.ts). A signed UNLOCK puts the REPL back on that port
// until the next boot, for `pindai flash`.
import type { Bytes } from "../../core/bytes";
import { alloc, overlay, slice } from "../../core/bytes";
import type { Rtc } from "../../hal/clock";
import type { Display, Screen } from "../../hal/display";
import type { Indicator, Signal } from "../../hal/indicator";
import type { Random } from "../../hal/random";
import type { Serial } from "../../hal/serial";
import type { Storage } from "../../hal/storage";
import type { Timers } from "../../hal/timers";
import { type BuildConfig, type Device, buildOptions, startDevice } from "../device";
import type { Ssd1306Options } from "./display-ssd1306";
import type { St7789Options } from "./display-st7789";
import type { PixlOptions } from "./display-pixl";
import type { Bangle2Options } from "./display-bangle2";
import type { ConsoleOptions } from "./display-console";
import { isDeviceFile, isImageFile } from "../../app/device-files";
import { isTableFile } from "../../app/table-files";
import { WatchedStorage } from "../../app/watched-storage";
import { CheckedRandom } from "../../app/checked-random";
import { DeviceIdentity, IDENTITY_FILE } from "../../app/identity";

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const E: any;
declare const Serial1: any;
declare const Serial2: any;
declare function require(name: string): any;
declare function reset(): void;
declare function getTime(): number;
declare function setTime(t: number): void;
declare function digitalWrite(pin: any, value: number): void;
declare function analogWrite(pin: any, value: number, opts?: any): void;
declare const NRF: any;
declare const global: any;
declare const process: any;

export interface UartOptions {
  port: "Serial1" | "Serial2" | "USB" | "Telnet" | "Terminal" | "Bluetooth";
  baud: number;
  rx?: string;
  tx?: string;
  /** Espruino's Linux build: a tty path (for example a pty of the simulator). */
  path?: string;
}

export interface EspruinoOptions {
  /** The admin line; default: the port the console was on at boot (its baud rate is left as it is). */
  admin?: UartOptions;
  scanEngine?: UartOptions;
  reader?: UartOptions;
  ledGreen?: string;
  ledRed?: string;
  buzzer?: string;
  /** The screen: its driver (display-<type>.ts, the only one the build bundles), bus and pins. */
  display?: DisplayOptions;
  /** false: never make the Ed25519 tables (12 KB of flash a key); default: where the pool has room (tablesFit). */
  tables?: boolean;
}

export type DisplayOptions = Ssd1306Options | St7789Options | PixlOptions | Bangle2Options | ConsoleOptions;

function portObject(name: string): any {
  if (name === "Serial2") return Serial2;
  if (name === "Serial1") return Serial1;
  // USB, Telnet, Terminal (Espruino for Linux's stdin), Bluetooth: only where the board has them.
  const port = global[name];
  return port !== undefined ? port : Serial1;
}

function uart(o: UartOptions): Serial {
  const port = portObject(o.port);
  const setup: any = {};
  if (o.rx !== undefined) setup.rx = o.rx;
  if (o.tx !== undefined) setup.tx = o.tx;
  if (o.path !== undefined) setup.path = o.path;
  if (o.port === "Serial1" || o.port === "Serial2") port.setup(o.baud, setup);
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
    if (erased) {
      require("Storage").write(name, data, offset);
      return;
    }
    // A new file whose tail is erased bytes (a fresh ring page): only its head is written,
    // the tail is reserved erased (Storage.write's size), so later records go in place.
    const whole = overlay(old, data, offset);
    let head = whole.length;
    while (head > 1 && whole[head - 1] === 0xff) head--;
    if (head < whole.length) require("Storage").write(name, slice(whole, 0, head), 0, whole.length);
    else require("Storage").write(name, whole);
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

// Espruino for Linux: E.hwRand there is a fixed-seed generator (the same bytes on
// every device and after every boot), so the kernel's random device is read
// instead; without it the bytes are zeros, which the health tests refuse
// (app/checked-random.ts). Boards: E.hwRand is the chip's hardware generator.
function kernelRandom(): any {
  if (typeof process === "undefined" || process.env === undefined || process.env.BOARD !== "LINUX") return undefined;
  try {
    const f = E.openFile("/dev/urandom", "r");
    return f === undefined ? null : f;
  } catch (e) {
    return null;
  }
}
const urandom = kernelRandom();

const random: Random = {
  bytes(n: number): Bytes {
    const out = alloc(n);
    if (urandom !== undefined) {
      const s = urandom === null ? undefined : urandom.read(n);
      for (let i = 0; s !== undefined && i < n && i < s.length; i++) out[i] = s.charCodeAt(i) & 255;
      return out;
    }
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

/** No display configured: the LEDs and the buzzer are all the guard gets (the build says so). */
const noDisplay: Display = { show(s: Screen): void {} };

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

/** Take the REPL off every port; the admin line goes where it was. */
function lockConsole(o: EspruinoOptions): { admin: UartOptions; unlock: () => void } {
  let was = "";
  try {
    was = String(E.getConsole());
  } catch (e) {
    was = "";
  }
  // After a clean restart (load(), see sweepStorage) the console is still off: the default port then.
  if (was === "null" || was === "undefined") was = "";
  const admin: UartOptions = o.admin !== undefined ? o.admin : { port: (was === "" ? "USB" : was) as UartOptions["port"], baud: 9600 };
  E.setConsole(null, { force: true });
  if (typeof NRF !== "undefined") {
    try {
      NRF.setServices({}, { uart: false });
    } catch (e) {
      // a board without the Nordic UART service
    }
  }
  return {
    admin,
    // The REPL takes the port back only once our line handler has let go of it. The secrets and
    // the stores are erased first (UNLOCK is for a re-flash): an open console never reads the
    // device key, the audit key or a key set, and a re-flash cut short leaves a device with no
    // secrets, which boots as a new, unprovisioned one. Kept: the image, its boot loader and its
    // parts (the code running now is read from them in place), the audit pages (UNLOCK is on the record there,
    // for the next boot's LOG) and the Ed25519 tables (public points, read in place by views
    // still alive until the reset: erasing them under those views stops Espruino).
    unlock: () => {
      const files: string[] = require("Storage").list();
      for (let i = 0; i < files.length; i++) if (!keptByUnlock(files[i])) require("Storage").erase(files[i]);
      portObject(admin.port).removeAllListeners("data");
      E.setConsole(admin.port, { force: true });
      // Once this answer is out, a reset clears the interpreter (Espruino runs it when this
      // line's handling ends): no key stays in RAM and no timer of the app competes with the REPL.
      reset();
    },
  };
}

/** What UNLOCK leaves in flash: the image, its boot loader and parts, the audit pages and the Ed25519 tables (nothing secret). */
function keptByUnlock(name: string): boolean {
  if (isImageFile(name)) return true;
  if (name.substring(0, 6) === "audit." && name !== "audit.key") return true;
  return isTableFile(name);
}

/**
 * Remove every Storage file this firmware did not write (app/device-files.ts)
 * and return their names. A .boot0-.boot3 file left by an unlocked console
 * ran before .bootcde: the timers it left (a REPL opened again a moment
 * later) are cleared with it. Code that ran first could have changed more
 * (README: what UNLOCK gives up); this catches what stays behind in flash.
 */
function sweepStorage(): string[] {
  const S = require("Storage");
  const names: string[] = S.list();
  const foreign: string[] = [];
  for (let i = 0; i < names.length; i++) if (!isDeviceFile(names[i])) foreign.push(names[i]);
  if (foreign.length > 0) {
    for (let i = 0; i < foreign.length; i++) S.erase(foreign[i]);
    (clearTimeout as any)(); // no argument: every timer
    (clearInterval as any)();
  }
  return foreign;
}

/**
 * Ed25519 tables (3x faster verification) are made only where the pool has
 * room for a table step beside the booted image: a step holds 8 points and
 * their inverses (about 750 variables), the MAC and the flash write on top.
 * Measured on fixed pools (branch i22-pool): 1,034 free ran out, 1,834 made
 * them. A KEYSET or a scan may come while a step runs, and needs about 1,000
 * more (the admin part, the key set's decoding, the curve part and a
 * verification, measured on the 5,100 pool): so 2,500 was the first choice.
 * With the parts loaded per call (host/build/espruino-parts.js) a Pico boots
 * with about 2,400 free, and a table step beside a KEYSET then ran out
 * (tables, KEYSET, the curve, SHA and the seldom-run code loaded and dropped
 * in turn on the 5,100 pool): so 3,000. Once each part's dropper came with
 * its part (45 fewer variables held), a Pico had exactly 3,000 free here, in
 * the middle of its boot, and started tables it had no room for once booted;
 * an 8,191 pool has about 6,000: so 3,400. Without tables a board verifies as
 * well, only slower.
 */
const TABLES_MIN_FREE = 3400;

function tablesFit(): boolean {
  if (typeof process === "undefined" || typeof process.memory !== "function") return true;
  return process.memory().free >= TABLES_MIN_FREE;
}

/**
 * A first boot makes the device key before the device is set up: the curve,
 * SHA-512 and signing are then loaded beside the bare image, not beside the
 * lines, display and stores as well (a 2,950-variable board ran out there).
 * The app reads the key back (app/identity.ts); a random source that fails
 * its health tests makes nothing here, and the app refuses as it would.
 */
function makeKeyFirst(): void {
  if (storage.read(IDENTITY_FILE) !== undefined) return;
  const flash = new WatchedStorage(storage);
  const checked = new CheckedRandom(random, flash);
  if (checked.failure === undefined && flash.failure === undefined) new DeviceIdentity(flash, checked);
}

/** makeDisplay: the configured driver's display(), handed in by the build's generated entry. */
export function start(cfg: BuildConfig, o: EspruinoOptions, makeDisplay?: (o: any) => Display): Device {
  const lock = lockConsole(o);
  const removed = sweepStorage();
  makeKeyFirst();
  // Espruino for Linux reads its console and ttys only while a timer is pending
  // (a microcontroller's UART interrupt wakes it instead): keep one there.
  if (typeof process !== "undefined" && process.env !== undefined && process.env.BOARD === "LINUX") setInterval(() => {}, 100);
  const device = startDevice(
    {
      display: makeDisplay !== undefined && o.display !== undefined ? makeDisplay(o.display) : noDisplay, indicator: indicator(o), storage, rtc, timers, random,
      scanEngine: o.scanEngine === undefined ? undefined : uart(o.scanEngine),
      reader: o.reader === undefined ? undefined : uart(o.reader),
      admin: uart(lock.admin),
      hooks: { unlock: lock.unlock },
    },
    buildOptions(cfg, o.tables !== false && tablesFit()),
  );
  if (removed.length > 0) device.app.tamper("removed from flash: " + removed.join(" "), removed.length);
  return device;
}
