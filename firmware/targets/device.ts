// The one device assembly, whatever the runtime: the app on the target's
// HALs (it makes its Ed25519 tables itself), the scan engine through the scan
// queue, the card reader and its poller, the admin line, and camera frames
// through a decoder where the device has a camera. Every target
// (firmware/targets/<runtime>), the simulator (sim/device.ts) and the
// conformance session (test/conformance/session-entry.ts) call startDevice
// with their own hardware, so what they test is this wiring.
import type { RootKey } from "../core/keyset";
import { fromHex } from "../core/bytes";
import { DEFAULT_CARD_POLL_MS } from "../core/policy";
import { VerifierApp, type AppConfig, type Hardware } from "../app/verifier";
import { AdminService, type AdminHooks } from "../app/admin";
import { serveAdminLine } from "../app/admin-line";
import { CardPoller } from "../app/card-poller";
import { CheckedRandom } from "../app/checked-random";
import { WatchedStorage } from "../app/watched-storage";
import { storageFaultScreen } from "../app/screens";
import { DEFAULT_LANG } from "../app/i18n";
import { type ScanInput, scanInput } from "../app/scan-input";
import { type CameraReader, cameraReader } from "../app/camera-reader";
import type { Lang } from "../app/i18n";
import type { NikPolicy } from "../app/audit-log";
import type { FrameSource, QrFrameDecoder } from "../hal/frame-source";
import type { Serial } from "../hal/serial";
import { Pn532, type Pn532Options } from "../reader/pn532/pn532";

/** Compiled into each image by `npm run build` from a build config. */
export interface BuildConfig {
  version: string;
  buildTime: number;
  /** Root public keys, as { kid, publicKey } in hex. */
  roots: Array<{ kid: string; publicKey: string }>;
  lang: Lang;
  clearAfterMs: number;
  cardPollMs: number;
  /** Key sets below this version are never loaded or installed. */
  minKeysetVersion?: number;
  /** How long a card may take to answer INTERNAL AUTHENTICATE (reader/card-session.ts); absent = 500 ms. */
  cardAuthMs?: number;
  /** The audit log's NIK policy (app/audit-log.ts); absent = "hmac". */
  auditNik?: NikPolicy;
}

/** A camera: its frames and the decoder that finds codes in them. */
export interface Camera {
  frames: FrameSource;
  decoder: QrFrameDecoder;
}

/** A target's hardware: the HALs, and the lines and sensors this board has (absent: it has none). */
export interface DeviceHardware extends Hardware {
  /** A QR scan engine (a UART module, or a keyboard-wedge scanner): one code per line. */
  scanEngine?: Serial;
  /** A PN532 on its serial line (HSU). */
  reader?: Serial;
  /** The admin line (docs/SPEC.md section 6); the only way in for an agency. */
  admin?: Serial;
  hooks?: AdminHooks;
}

export interface DeviceOptions {
  app: AppConfig;
  /** Look for a card this often while idle; absent: only when asked (device.poller.poll, the simulator's tap). */
  cardPollMs?: number;
  /** The card's INTERNAL AUTHENTICATE deadline (reader/card-session.ts); absent = 500 ms. */
  cardAuthMs?: number;
  /** The PN532 driver's timeouts (reader/pn532.ts); absent: its defaults. */
  readerTiming?: Pn532Options;
}

export interface Device {
  app: VerifierApp;
  /** One admin-line command, its reply line (a property, so Lua calls it as device.admin(line)). */
  admin: (this: void, line: string) => string;
  /** What the hardware had wired at start (undefined: not on this board). */
  scan: ScanInput | undefined;
  poller: CardPoller | undefined;
  /** Lines that come later (a pty the simulator opens): wired as at start. */
  connectScanEngine: (this: void, serial: Serial) => ScanInput;
  connectAdmin: (this: void, serial: Serial) => void;
}

export function parseRoots(cfg: BuildConfig): RootKey[] {
  const out: RootKey[] = [];
  for (let i = 0; i < cfg.roots.length; i++) {
    const kid = fromHex(cfg.roots[i].kid);
    const publicKey = fromHex(cfg.roots[i].publicKey);
    if (kid !== undefined && publicKey !== undefined && kid.length === 8 && publicKey.length === 32) out.push({ kid, publicKey });
  }
  return out;
}

/** The device options an image's build config gives (tables: keep Ed25519 tables in flash, app/key-tables.ts). */
export function buildOptions(cfg: BuildConfig, tables: boolean): DeviceOptions {
  return {
    app: {
      tables,
      roots: parseRoots(cfg),
      buildTime: cfg.buildTime,
      version: cfg.version,
      lang: cfg.lang,
      clearAfterMs: cfg.clearAfterMs,
      minKeysetVersion: cfg.minKeysetVersion,
      auditNik: cfg.auditNik,
    },
    cardPollMs: cfg.cardPollMs,
    cardAuthMs: cfg.cardAuthMs,
  };
}

/** The card reader: the PN532 driver and the poller that hands each read to the app. */
function cardReader(serial: Serial, hw: DeviceHardware, o: DeviceOptions, app: VerifierApp): CardPoller {
  const pn = new Pn532(serial, hw.timers, o.readerTiming);
  return new CardPoller(pn, hw.random, hw.timers, () => app.state === "idle", (r) => app.cardResult(r), o.cardPollMs === undefined ? DEFAULT_CARD_POLL_MS : o.cardPollMs, () => app.cardDetected(), o.cardAuthMs);
}

/** The random source failed its health tests: nothing is provisioned or signed; the screen and the admin line say why. */
function refuse(hw: DeviceHardware, failure: string): Error {
  hw.display.show({ color: "red", title: "RANDOM SOURCE FAILED", lines: [failure], warnings: [] });
  hw.indicator.signal("fail");
  if (hw.admin !== undefined) serveAdminLine(hw.admin, () => "ERR RANDOM_FAILED " + failure);
  return new Error("RANDOM_FAILED " + failure);
}

export function startDevice(source: DeviceHardware, o: DeviceOptions): Device {
  // A flash that throws is a fault the app shows, never a crash (app/watched-storage.ts).
  const storage = new WatchedStorage(source.storage);
  // Every random byte comes through the health-checked, counter-mixed generator (app/checked-random.ts).
  const random = new CheckedRandom(source.random, storage);
  if (random.failure !== undefined && storage.failure !== undefined) {
    // The boot counter could not be kept because the flash failed: the amber NOT READY screen, not the random source's.
    source.display.show(storageFaultScreen(o.app.lang === undefined ? DEFAULT_LANG : o.app.lang, undefined));
    source.indicator.signal("fail");
    if (source.admin !== undefined) serveAdminLine(source.admin, () => "ERR STORAGE_FAILED " + storage.failure);
    throw new Error("STORAGE_FAILED " + storage.failure);
  }
  if (random.failure !== undefined) throw refuse(source, random.failure);
  const hw: DeviceHardware = {
    display: source.display, indicator: source.indicator, storage, rtc: source.rtc, timers: source.timers, random,
    scanEngine: source.scanEngine, reader: source.reader, admin: source.admin, hooks: source.hooks,
  };
  // The app makes its Ed25519 tables in the background (AppConfig.tables).
  const app = new VerifierApp(hw, o.app);
  random.keyWith(() => app.identity.secret("random"));
  const service = new AdminService(app, hw.hooks === undefined ? {} : hw.hooks);
  const admin = (line: string) => service.handle(line);
  const connectScanEngine = (serial: Serial) => scanInput(serial, hw.timers, app);
  const connectAdmin = (serial: Serial) => serveAdminLine(serial, admin);
  const poller = hw.reader === undefined ? undefined : cardReader(hw.reader, hw, o, app);
  if (poller !== undefined && o.cardPollMs !== undefined) poller.start();
  if (hw.admin !== undefined) connectAdmin(hw.admin);
  return {
    app,
    admin,
    scan: hw.scanEngine === undefined ? undefined : connectScanEngine(hw.scanEngine),
    poller,
    connectScanEngine,
    connectAdmin,
  };
}

/** A camera decode that takes longer is given up (app/camera-reader.ts). */
export const DECODE_TIMEOUT_MS = 2000;

/**
 * Camera frames through the decoder, one at a time; the code it picks is
 * scanned. Where the device decodes frames itself (Linux-class boards, the
 * simulator): apart from startDevice so that a microcontroller image, which
 * has no camera, does not carry the camera reader (test/images.test.ts keeps its size budget).
 */
export function attachCamera(device: Device, camera: Camera): CameraReader {
  const app = device.app;
  return cameraReader(camera.frames, camera.decoder, app.timers, (text) => app.scanText(text), DECODE_TIMEOUT_MS);
}
