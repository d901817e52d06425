// A whole verifier on Node: the same firmware app (firmware/app) on virtual
// hardware: flash with power cuts, a virtual RTC, a screen in the terminal
// and as PNG, LED/buzzer events, and a PN532 emulator with virtual cards.
import { VerifierApp, type AppConfig } from "../firmware/app/verifier";
import { adminCommand } from "../firmware/app/admin";
import { CardPoller } from "../firmware/app/card-poller";
import type { Serial } from "../firmware/hal/serial";
import { lineScanner } from "../firmware/hal/scan-engine";
import type { Screen } from "../firmware/hal/display";
import type { FrameSource, QrFrameDecoder } from "../firmware/hal/frame-source";
import { cameraReader, type CameraReader } from "../firmware/app/camera-reader";
import { Pn532 } from "../firmware/reader/pn532";
import { nodeTimers } from "../firmware/targets/node/timers";
import { nodeRandom } from "../firmware/targets/node/random";
import { Pn532Emulator, type VirtualCard } from "./pn532/emulator";
import { SimFlash } from "./flash";
import { VirtualRtc } from "./rtc";
import { SimDisplay, SimIndicator } from "./screen";

/** Longer lines than a QR code can hold are dropped by the scan engine reader. */
export const MAX_SCAN_LINE = 4400;

export interface SimDeviceOptions extends AppConfig {
  flash?: SimFlash;
  rtc?: VirtualRtc;
  /** Print each screen as it is shown. */
  echo?: (text: string) => void;
}

/** An in-memory serial line between the firmware's PN532 driver and the emulator. */
function pn532Link(): { serial: Serial; emulator: Pn532Emulator } {
  let toHost: ((d: Uint8Array) => void) | undefined;
  const emulator = new Pn532Emulator((bytes) => setImmediate(() => toHost?.(bytes)));
  const serial: Serial = {
    write: (d) => {
      const copy = d.slice();
      setImmediate(() => emulator.receive(copy));
    },
    onData: (h) => (toHost = h),
    close: () => {},
  };
  return { serial, emulator };
}

export class SimDevice {
  readonly app: VerifierApp;
  readonly flash: SimFlash;
  readonly rtc: VirtualRtc;
  readonly display: SimDisplay;
  readonly indicator = new SimIndicator();
  readonly emulator: Pn532Emulator;
  private readonly poller: CardPoller;

  constructor(opts: SimDeviceOptions) {
    this.flash = opts.flash ?? new SimFlash();
    this.rtc = opts.rtc ?? new VirtualRtc(0, 0);
    this.display = new SimDisplay(opts.echo);
    const timers = nodeTimers();
    this.app = new VerifierApp(
      { display: this.display, indicator: this.indicator, storage: this.flash, rtc: this.rtc, timers, random: nodeRandom },
      opts,
    );
    const link = pn532Link();
    this.emulator = link.emulator;
    const pn = new Pn532(link.serial, timers, { ackTimeoutMs: 50, replyTimeoutMs: 300 });
    this.poller = new CardPoller(
      pn,
      nodeRandom,
      timers,
      () => this.app.state === "idle",
      (r) => this.app.cardResult(r),
      500,
      () => this.app.cardDetected(),
    );
  }

  get screen(): Screen {
    return this.display.current!;
  }

  /** A line from the scan engine (or a QR found in a camera frame). */
  scan(text: string): Screen {
    this.app.scanText(text);
    return this.screen;
  }

  /** Put a card on the reader, read it once, take it away. */
  tap(card: VirtualCard): Promise<Screen> {
    this.emulator.tap(card);
    return new Promise((resolve) => {
      this.poller.poll(() => {
        this.emulator.tap(undefined);
        resolve(this.screen);
      });
    });
  }

  /** Wire a scan engine (a UART QR module) on `serial`: each line it sends is scanned. */
  connectScanEngine(serial: Serial): void {
    lineScanner(serial, MAX_SCAN_LINE).onLine((text) => this.app.scanText(text));
  }

  /** Wire a camera: frames go through the decoder (one at a time, 2 s at most); the code it picks is scanned. */
  connectCamera(source: FrameSource, decoder: QrFrameDecoder): CameraReader {
    return cameraReader(source, decoder, nodeTimers(), (text) => this.app.scanText(text), 2000);
  }

  /** A line on the service port (see firmware/app/admin.ts). */
  admin(line: string): string[] {
    return adminCommand(this.app, line);
  }

  /** Back to the idle screen now (instead of waiting for the privacy timeout). */
  clear(): void {
    this.app.showIdle();
  }

  /** Switch off and on again: the app reloads its key set and log from flash. */
  reboot(opts: SimDeviceOptions): SimDevice {
    return new SimDevice({ ...opts, flash: this.flash, rtc: this.rtc });
  }
}
