// The Node target: the real firmware on a Linux-class board (a Raspberry
// Pi-class computer with a USB scanner, a PN532 on a USB-serial adapter and a
// small screen). The only code that knows it runs on Node and Linux. The
// device is the same assembly as every image (../device.ts); here are its HALs:
// flash files in a folder, sealed by the device key (folder-seal.ts), the system clock as RTC
// (system-rtc.ts), the screen in the terminal or as a PNG file (screen.ts,
// which the simulator shows too), LED and buzzer as terminal lines, serial ports
// through node-serialport (serial.ts), a keyboard-wedge USB scanner read from
// its input device (evdev-scanner.ts) or from stdin, and camera frames from
// files a capture tool writes (file-camera.ts), decoded by zxing (jsQR where
// WebAssembly does not run). A reader or camera that stops answering gets a
// warning line (and another when it is back). Ed25519 and SHA-2 go through
// OpenSSL (natives.ts).
import "./natives"; // first, before the core loads: verification and SHA-2 through OpenSSL
import { renameSync, writeFileSync } from "node:fs";
import { makeFolder } from "./make-folder";
import { join } from "node:path";
import type { Display, Screen } from "../../hal/display";
import type { Indicator } from "../../hal/indicator";
import type { Serial } from "../../hal/serial";
import { type BuildConfig, type Device, attachCamera, buildOptions, startDevice } from "../device";
import { renderPng, renderText, SIGNAL_TEXT } from "./screen";
import { cameraDecoder } from "./camera-decoder";
import { FRAME_BUDGET_MS } from "./zxing-decoder";
import { QUARANTINE, sealedFolder } from "./folder-seal";
import { FileCamera } from "./file-camera";
import type { Frame } from "../../hal/frame-source";
import { nodeRandom } from "./random";
import { systemRtc } from "./system-rtc";
import { nodeTimers } from "./timers";
import { evdevScanner } from "./evdev-scanner";

/** A camera with no new frame for this long gets a warning line (its capture tool stopped). */
export const CAMERA_STALL_MS = 10_000;

export interface NodeOptions {
  /** The flash: a folder of files (made if missing). */
  flashDir: string;
  scanEngine?: Serial;
  reader?: Serial;
  admin?: Serial;
  /** A keyboard-wedge scanner's bytes (standard input): each line is scanned, as from the scan engine. */
  keyboard?: Serial;
  /** A keyboard-wedge USB scanner's input device (/dev/input/eventN): read as key events, no terminal needed. */
  scanInput?: string;
  /** How long a camera may give no new frame before a warning line (default CAMERA_STALL_MS). */
  cameraStallMs?: number;
  /** A PNG or JPEG file, or a folder, that a capture tool keeps writing frames to, and how an image file becomes a frame. */
  camera?: { path: string; readFrame: (path: string) => Frame };
  /** "terminal", or a folder where the screen is kept as screen.png. */
  screen: { kind: "terminal"; color: boolean } | { kind: "png"; dir: string };
  /** Where the terminal lines go (screens, LED/buzzer, notes). */
  out: (line: string) => void;
}

export interface NodeDevice {
  device: Device;
  close(): void;
}

/** The screen as a PNG file, replaced whole (a viewer never reads half of one); one line per screen to `out`. */
function pngDisplay(dir: string, out: (line: string) => void): Display {
  makeFolder(dir); // the folder the option names, never its parents
  let chain = Promise.resolve();
  return {
    show(s: Screen) {
      out("screen: [" + s.color + "] " + s.title);
      chain = chain
        .then(() => renderPng(s))
        .then((png) => {
          writeFileSync(join(dir, "screen.png.new"), png);
          renameSync(join(dir, "screen.png.new"), join(dir, "screen.png"));
        })
        .catch((e: Error) => out("screen: cannot write " + join(dir, "screen.png") + ": " + e.message));
    },
  };
}

export function start(cfg: BuildConfig, o: NodeOptions): NodeDevice {
  const display: Display = o.screen.kind === "png" ? pngDisplay(o.screen.dir, o.out) : { show: (s) => o.out(renderText(s, o.screen.kind === "terminal" && o.screen.color && !process.env.NO_COLOR)) };
  const indicator: Indicator = { signal: (s) => o.out(SIGNAL_TEXT[s]) };
  // Every file of the folder is checked against its seal (folder-seal.ts): one that fails makes the clock untrusted until a signed TIME.
  const folder = sealedFolder(o.flashDir);
  const storage = folder.storage;
  // Stored names never start with "." (dir-storage.ts): the RTC's offset cannot collide with one.
  const rtc = systemRtc(join(o.flashDir, ".rtc"), undefined, undefined, { file: folder.text(".rtc"), distrust: folder.problems.length > 0 });
  const device = startDevice(
    { display, indicator, storage, rtc, timers: nodeTimers(), random: nodeRandom, scanEngine: o.scanEngine, reader: o.reader, admin: o.admin },
    buildOptions(cfg, true),
  );
  const tampered = (what: string[]) => {
    rtc.distrust();
    o.out(`warning: the flash folder ${o.flashDir} was changed by someone else (${what.join("; ")}): set aside in ${QUARANTINE}/, clock untrusted until a signed TIME`);
    device.app.tamper("flash folder changed", what.length);
  };
  if (folder.problems.length > 0) tampered(folder.problems);
  folder.onTamper = (what) => tampered([what]);
  if (o.keyboard !== undefined) device.connectScanEngine(o.keyboard);
  const scanInput = o.scanInput === undefined ? undefined : evdevScanner(o.scanInput, { note: o.out });
  if (scanInput !== undefined) device.connectScanEngine(scanInput);
  if (device.poller !== undefined) {
    device.poller.onReaderState = (up, detail) =>
      o.out(up ? "card reader: answering again" : `warning: the card reader stopped answering (${detail}): check its cable and power`);
  }
  const camera = o.camera === undefined ? undefined : new FileCamera(o.camera.path, o.camera.readFrame);
  if (camera !== undefined) attachCamera(device, { frames: camera, decoder: cameraDecoder((why) => o.out(`camera: zxing unavailable (${why}), using jsqr`), FRAME_BUDGET_MS) }); // live frames: a next one comes
  // The health check also keeps the process alive when nothing else does (no stdin, no ports).
  const stallMs = o.cameraStallMs ?? CAMERA_STALL_MS;
  let seen = -1;
  let since = Date.now();
  let stalled = false;
  const health = setInterval(() => {
    if (camera === undefined) return;
    const n = camera.stats.frames + camera.stats.unreadable;
    if (n !== seen) {
      if (stalled) o.out("camera: frames again");
      seen = n;
      since = Date.now();
      stalled = false;
    } else if (!stalled && Date.now() - since >= stallMs) {
      stalled = true;
      o.out(`warning: the camera gave no new frame for ${Math.round(stallMs / 1000)} s: is its capture tool running? (${o.camera!.path})`);
    }
  }, Math.min(1000, stallMs));
  return {
    device,
    close() {
      clearInterval(health);
      camera?.close();
      device.poller?.stop();
      for (const s of [o.scanEngine, o.reader, o.admin, o.keyboard, scanInput]) s?.close();
    },
  };
}
