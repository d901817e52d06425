// A whole verifier on Node: the device assembly every image uses
// (firmware/targets/device.ts) on virtual hardware: flash with power cuts, a
// virtual RTC, a screen in the terminal and as PNG, LED/buzzer events, and a
// PN532 emulator with virtual cards.
import type { AppConfig, VerifierApp } from "../firmware/app/verifier";
import type { Serial } from "../firmware/hal/serial";
import type { ScanInput } from "../firmware/app/scan-input";
import type { Screen } from "../firmware/hal/display";
import type { FrameSource, QrFrameDecoder } from "../firmware/hal/frame-source";
import type { CameraReader } from "../firmware/app/camera-reader";
import type { CardPoller } from "../firmware/app/card-poller";
import { type Device, attachCamera, startDevice } from "../firmware/targets/device";
import { nodeTimers } from "../firmware/targets/node/timers";
import { nodeRandom } from "../firmware/targets/node/random";
import { Pn532Emulator, type VirtualCard } from "./pn532/emulator";
import { SimFlash } from "./flash";
import { VirtualRtc } from "./rtc";
import { type PanelName, SimDisplay, SimIndicator } from "./screen";
import { signedCommand, type AdminKey } from "../host/issuer/device-client";
import type { World } from "./world";

export interface SimDeviceOptions extends AppConfig {
  flash?: SimFlash;
  rtc?: VirtualRtc;
  /** Print each screen as it is shown. */
  echo?: (text: string) => void;
  /** Lay each screen out on this panel, as its driver would (SCREEN answers that frame). */
  panel?: PanelName;
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
  private readonly device: Device;
  private readonly poller: CardPoller;

  constructor(opts: SimDeviceOptions) {
    this.flash = opts.flash ?? new SimFlash();
    this.rtc = opts.rtc ?? new VirtualRtc(0, 0);
    this.display = new SimDisplay(opts.echo, opts.panel);
    const link = pn532Link();
    this.emulator = link.emulator;
    // No cardPollMs: a card is read when tapped. The PN532 is in memory, but the
    // host may be busy (a test suite on two cores): generous timeouts.
    this.device = startDevice(
      { display: this.display, indicator: this.indicator, storage: this.flash, rtc: this.rtc, timers: nodeTimers(), random: nodeRandom, reader: link.serial },
      { app: opts, readerTiming: { ackTimeoutMs: 200, replyTimeoutMs: 1000 } },
    );
    this.app = this.device.app;
    this.poller = this.device.poller!;
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
    return this.device.connectScanEngine(serial);
  }

  /** Wire a camera: frames go through the decoder (one at a time, 2 s at most); the code it picks is scanned. */
  connectCamera(source: FrameSource, decoder: QrFrameDecoder): CameraReader {
    return attachCamera(this.device, { frames: source, decoder });
  }

  /** A line on the admin port, as anyone at the port could type it (firmware/app/admin.ts). */
  admin(line: string): string {
    return this.device.admin(line);
  }

  /** A signed command as the agency's tool sends it: ID, NONCE, then ADMIN. */
  signed(key: AdminKey, name: string, arg?: number | string | Map<number, number | string>): string {
    const id = new Uint8Array(Buffer.from(this.admin("ID").split(" ")[1], "hex"));
    const nonce = new Uint8Array(Buffer.from(this.admin("NONCE").slice(3), "hex"));
    return this.admin(signedCommand(key, id, nonce, name, arg));
  }

  /** What an agency does on day one: install the key set, then set the clock with a root's TIME (an untrusted clock takes no other). */
  provision(world: World, now: number): void {
    const k = this.admin("KEYSET " + Buffer.from(world.keysetBytes).toString("hex"));
    const t = this.signed(world.rootKey, "TIME", now);
    if (!k.startsWith("OK") || !t.startsWith("OK")) throw new Error(`provisioning failed: ${k} / ${t}`);
  }

  /** Put the admin line on a serial port (a pty: `pindai sim --admin-port`). */
  connectAdmin(serial: Serial): void {
    this.device.connectAdmin(serial);
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
