// A whole verifier on Node: the same firmware app (firmware/app) on virtual
// hardware: flash with power cuts, a virtual RTC, a screen in the terminal
// and as PNG, LED/buzzer events, and a PN532 emulator with virtual cards.
import { VerifierApp, type AppConfig } from "../firmware/app/verifier";
import { adminCommand } from "../firmware/app/admin";
import { CardPoller } from "../firmware/app/card-poller";
import type { Serial } from "../firmware/hal/serial";
import { type ScanInput, scanInput } from "../firmware/app/scan-input";
import type { Screen } from "../firmware/hal/display";
import type { FrameSource, QrFrameDecoder } from "../firmware/hal/frame-source";
import { Pn532 } from "../firmware/reader/pn532";
import { nodeTimers } from "../firmware/targets/node/timers";
import { nodeRandom } from "../firmware/targets/node/random";
import { Pn532Emulator, type VirtualCard } from "./pn532/emulator";
import { SimFlash } from "./flash";
import { VirtualRtc } from "./rtc";
import { SimDisplay, SimIndicator } from "./screen";

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
  private readonly timers = nodeTimers();

  constructor(opts: SimDeviceOptions) {
    this.flash = opts.flash ?? new SimFlash();
    this.rtc = opts.rtc ?? new VirtualRtc(0, 0);
    this.display = new SimDisplay(opts.echo);
    const timers = this.timers;
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
  connectScanEngine(serial: Serial): ScanInput {
    return scanInput(serial, this.timers, this.rtc, this.app);
  }

  /** Wire a camera: each frame goes through the decoder; a code found is scanned. */
  connectCamera(source: FrameSource, decoder: QrFrameDecoder): void {
    source.onFrame((frame) => {
      const text = decoder.decode(frame);
      if (text !== undefined) this.app.scanText(text);
    });
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
