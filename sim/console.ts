// The simulator's command language, shared by `pindai sim` (interactive) and
// `pindai sim --script FILE`. One command per line; `#` starts a comment.
import { writeOutput } from "../host/issuer/files";
import { VERDICTS } from "../firmware/core/verdict";
import { cameraDecoder, decodeFrame } from "../firmware/targets/node/camera-decoder";
import { pickCode } from "../firmware/app/camera-reader";
import { framesFrom } from "./camera/frames";
import { LEVELS, synthFrame } from "./camera/synth";
import { SimDevice, type SimDeviceOptions } from "./device";
import { serveAdminLine } from "../firmware/app/admin-line";
import type { Serial } from "../firmware/hal/serial";
import { DeviceClient, memoryLink, type AdminKey } from "../host/issuer/device-client";
import { DEFAULT_CLEAR_AFTER_MS, KEYSET_POLICY } from "../firmware/core/policy";
import { DEFAULT_LANG, LANGS, isLang, type Lang } from "../firmware/app/i18n";
import { SimFlash } from "./flash";
import { VirtualRtc } from "./rtc";
import { Phone, tamper } from "./phone";
import { type PanelName, renderPanelPng, renderPng, renderText, SIGNAL_TEXT } from "./screen";
import { HOLDER, makeWorld, type World } from "./world";
import type { RootKey } from "../firmware/core/keyset";

export const SIM_HELP = `commands:
  phone                 scan the code the holder's phone shows now (it changes every 60 s)
  screenshot            scan the last code the phone showed, as a screenshot someone kept
  refresh               the phone shows a fresh code
  tamper                scan the phone's code with one bit changed
  scan TEXT             scan any text (as a scan engine line)
  frame LEVEL           the camera looks at the phone (distortion level 0-4) for half a second
  image FILE|DIR        camera frames from PNG/JPEG files
  tap CARD              tap a card: genuine, clone, expired, revoked, pulled (removed mid-read)
  wait SECONDS          let the virtual clock run
  clock unset|set [T]   the RTC loses power / the agency sets it, signed (default: now)
  clock back SECONDS    the RTC is moved back behind the device's back (a glitch, an attacker at the board)
  keyset install        install the agency's signed key set
  lang ${LANGS.join("|").padEnd(17)}the display language (a signed CONFIG)
  admin LINE            a raw admin-line command, as anyone at the port could type it
                        (VERSION, ID, NONCE, STATUS, KEYSET hex, ADMIN hex; TIME and LOG are refused unsigned)
  log                   the audit log (a signed LOG, checked against the device's key)
  reboot                a power cut of the main supply: flash and the RTC stay
  clear                 back to the idle screen
  png FILE              write the device screen as a PNG (the --display panel's layout)
  expect VERDICT        check the last verdict (a script fails when it does not match)
  help, quit`;

export interface ConsoleOptions {
  lang?: Lang;
  /** The key set's replay policy; default as pindai keyset signs it (reject), so the simulator does what a device does. */
  replay?: number;
  /** Start unprovisioned: no key set, clock never set. */
  fresh?: boolean;
  color?: boolean;
  start?: number;
  /** Keep the device's flash in this file (key set and audit log survive restarts). */
  flashPath?: string;
  /** Virtual seconds per real second (default 1). */
  speed?: number;
  /** An agency's own roots, trusted beside the simulated agency's (pindai sim --root / --config). */
  roots?: RootKey[];
  /** The panel the screens are laid out on (the device's display driver); png draws it. */
  display?: PanelName;
}

const BUILD_TIME = 1_767_225_600; // 2026-01-01

/** A change's reply with its device signature shortened for the console. */
function shortAnswer(reply: string): string {
  return reply.replace(/ ([0-9a-f]{16})[0-9a-f]{100,}$/, " $1... (signed by the device)");
}

export class SimConsole {
  device: SimDevice;
  private readonly deviceOptions: SimDeviceOptions;
  readonly world: World;
  readonly phone: Phone;
  failures = 0;
  done = false;
  private lastCode = "";
  private readonly color: boolean;

  constructor(o: ConsoleOptions = {}) {
    const now = o.start ?? Math.floor(Date.now() / 1000);
    // A fixed seed: the same demo root of trust on every run, so a --flash file stays valid.
    this.world = makeWorld(now, o.replay ?? KEYSET_POLICY.replay, "pindai-sim");
    this.color = o.color ?? false;
    this.deviceOptions = {
      roots: [...this.world.roots, ...(o.roots ?? [])],
      buildTime: BUILD_TIME,
      version: "sim",
      lang: o.lang ?? DEFAULT_LANG,
      clearAfterMs: DEFAULT_CLEAR_AFTER_MS,
      flash: new SimFlash(o.flashPath),
      rtc: new VirtualRtc(0, o.speed ?? 1),
      panel: o.display,
    };
    this.device = new SimDevice(this.deviceOptions);
    if (!o.fresh) {
      // Provisioned as an agency would: the key set, then a signed time.
      this.device.rtc.set(now);
      this.device.admin("KEYSET " + Buffer.from(this.world.keysetBytes).toString("hex"));
      this.device.signed(this.world.adminKey, "TIME", now);
    }
    this.device.clear();
    this.phone = new Phone(this.world.qrSigner, HOLDER, () => this.device.rtc.seconds());
  }

  /**
   * The simulated agency signs with its admin key, or with its root while the
   * device's clock is not trusted (then no other key is taken: docs/SPEC.md 6.4).
   */
  private agencyKey(): AdminKey {
    return this.device.app.time().trusted ? this.world.adminKey : this.world.rootKey;
  }

  /** The admin line on a serial port (a pty): it follows the device across reboots. */
  connectAdmin(serial: Serial): void {
    serveAdminLine(serial, (line) => this.device.admin(line));
  }

  screen(): string[] {
    const ev = this.device.indicator.events;
    return [renderText(this.device.screen, this.color), "  " + SIGNAL_TEXT[ev[ev.length - 1] ?? "off"]];
  }

  /** Waits (at most `maxMs`) until the device's background work is done: the tables made, as on a device between scans. */
  async settle(maxMs = 10_000): Promise<void> {
    const deadline = Date.now() + maxMs;
    await new Promise((r) => setImmediate(r));
    while (this.device.app.tables.busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  /** Run one command; returns what to print. */
  async run(line: string): Promise<string[]> {
    const text = line.replace(/#.*/, "").trim();
    if (text === "") return [];
    const sp = text.indexOf(" ");
    const cmd = sp < 0 ? text : text.slice(0, sp);
    const arg = sp < 0 ? "" : text.slice(sp + 1).trim();
    const d = this.device;
    switch (cmd) {
      case "help":
        return [SIM_HELP];
      case "quit":
      case "exit":
        this.done = true;
        return [];
      case "phone":
        this.lastCode = this.phone.current();
        d.scan(this.lastCode);
        return this.screen();
      case "screenshot":
        if (this.lastCode === "") return ["error: no code shown yet (use phone first)"];
        d.scan(this.lastCode);
        return this.screen();
      case "refresh":
        return ["phone shows a new code: " + this.phone.refresh().slice(0, 40) + "..."];
      case "tamper":
        d.scan(tamper(this.phone.current()));
        return this.screen();
      case "scan":
        d.scan(arg);
        return this.screen();
      case "frame": {
        const level = Number(arg);
        if (!(level >= 0 && level < LEVELS.length)) return [`error: frame takes a level 0-${LEVELS.length - 1}`];
        // The camera looks for half a second: up to five frames at 10 fps, each a little different.
        const dec = cameraDecoder();
        const code = this.phone.current();
        for (let k = 1; k <= 5; k++) {
          const text = pickCode(await decodeFrame(dec, synthFrame(code, LEVELS[level], { seed: k, width: 640, height: 480 })));
          if (text !== undefined) {
            d.scan(text);
            return [`(camera read the code in frame ${k})`, ...this.screen()];
          }
        }
        return ["camera: no QR code found in 5 frames (try a lower level)"];
      }
      case "image": {
        let frames;
        try {
          frames = framesFrom(arg);
        } catch (e) {
          return ["error: " + (e as Error).message];
        }
        const dec = cameraDecoder();
        const found: string[] = [];
        for (const f of frames) {
          const t = pickCode(await decodeFrame(dec, f));
          if (t !== undefined) found.push(t);
        }
        if (found.length === 0) return [`camera: no QR code in ${frames.length} frame(s)`];
        for (const t of found) d.scan(t);
        return this.screen();
      }
      case "tap": {
        const cards = this.world.cards;
        const pick: Record<string, typeof cards.genuine> = {
          genuine: cards.genuine,
          clone: cards.clone,
          expired: cards.expired,
          revoked: cards.revoked,
          pulled: { ...cards.genuine, removeAfterReads: 0 },
        };
        if (!pick[arg]) return ["error: tap genuine|clone|expired|revoked|pulled"];
        d.clear();
        await d.tap(pick[arg]);
        return this.screen();
      }
      case "wait": {
        const s = Number(arg);
        if (!(s >= 0 && s <= 100 * 365 * 86400)) return ["error: wait takes seconds, at most a hundred years"];
        d.rtc.advance(s);
        return [`(${s} s later)`];
      }
      case "clock":
        if (arg === "unset") {
          d.rtc.powerLoss();
          d.clear();
          return ["RTC lost power: the clock is not trusted until it is set"];
        }
        if (arg.startsWith("set")) {
          const t = arg.slice(3).trim();
          if (t !== "" && !/^\d+$/.test(t)) return ["error: clock set takes unix seconds"];
          const r = d.signed(this.agencyKey(), "TIME", t === "" ? Math.floor(Date.now() / 1000) : Number(t));
          d.clear();
          return [shortAnswer(r)];
        }
        if (arg.startsWith("back")) {
          const s = Number(arg.slice(4).trim());
          if (!(s > 0)) return ["error: clock back takes seconds"];
          d.rtc.set(d.rtc.seconds() - s);
          d.clear();
          return [`RTC moved back ${s} s without a signature`, ...this.screen()];
        }
        return ["error: clock unset|set [T]|back SECONDS"];
      case "keyset":
        if (arg !== "install") return ["error: keyset install"];
        return [d.admin("KEYSET " + Buffer.from(this.world.keysetBytes).toString("hex"))];
      case "lang":
        if (!isLang(arg)) return ["error: lang " + LANGS.join("|")];
        return [shortAnswer(d.signed(this.agencyKey(), "CONFIG", new Map([[1, arg]])))];
      case "admin":
        return [d.admin(arg)];
      case "log": {
        const client = new DeviceClient(memoryLink((l) => d.admin(l)), this.agencyKey());
        const records = await client.logs();
        return [
          ...records.map((r) => `LOG ${r.seq} ${r.time} ${r.verdict} ${r.source} ${r.kid} ${r.nikHash} ${r.warnings}`),
          `(${records.length} records, signed by device ${Buffer.from(client.id).toString("hex")})`,
        ];
      }
      case "reboot":
        this.device = d.reboot(this.deviceOptions);
        return ["(power cut and back: flash and the RTC kept)", ...this.screen()];
      case "clear":
        d.clear();
        return this.screen();
      case "png": {
        if (!arg) return ["error: png FILE"];
        try {
          writeOutput(arg, d.display.panel ? await renderPanelPng(d.screen, d.display.panel) : await renderPng(d.screen), "screen PNG");
        } catch (e) {
          return ["error: " + (e as Error).message];
        }
        return ["wrote " + arg];
      }
      case "expect": {
        const got = d.app.lastOutcome?.verdict ?? "-";
        if (!VERDICTS.includes(arg as never)) {
          this.failures++;
          return [`error: unknown verdict ${arg}`];
        }
        if (got === arg) return [`ok: ${got}`];
        this.failures++;
        return [`FAILED: expected ${arg}, got ${got}`];
      }
      default:
        // Typed or piped bytes (| /dev/urandom) never reach the terminal raw: JSON escapes them.
        return [`unknown command ${JSON.stringify(cmd.length > 40 ? cmd.slice(0, 40) + "..." : cmd)} (help lists them)`];
    }
  }
}
