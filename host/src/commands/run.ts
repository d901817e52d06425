// pindai run: the real firmware on a Linux-class board (Raspberry Pi-class:
// a USB scanner, a PN532 on a USB-serial adapter, a small screen), on its
// real serial ports. The firmware's Node target is firmware/targets/node/main.ts.
import { mkdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parse, parseInteger } from "../args";
import { CliError, failed } from "../../issuer/errors";
import { fsReason } from "../../issuer/files";
import { openPort } from "../open-port";
import { parseRoot } from "../../issuer/trust";
import type { Io } from "../cli";
import { stopSignal } from "../stop-signal";

export const runHelp = `pindai run [--scan-port PATH] [--reader-port PATH] [--admin-port PATH]
           [--scan-input /dev/input/eventN] [--camera FILE|DIR]
           [--screen terminal|png DIR] [--flash DIR] (--config FILE | --root KEY ...)

Runs the verifier firmware on this computer, as a device: the same firmware
as the Espruino and Lua images, on real serial ports.
  --scan-port    a QR scan engine on a UART (115200 baud): each line is scanned
  --reader-port  a PN532 card reader in HSU mode (115200 baud), e.g. on a
                 USB-serial adapter: cards are looked for every 500 ms
  --admin-port   the admin line (115200 baud) for the agency's tools
  --admin-listen HOST:PORT  the same admin protocol over TCP, for devices
                 managed where they stand (pindai fleet --ports tcp://HOST:PORT);
                 at most 4 connections, idle ones closed after 2 minutes
  --camera       PNG/JPEG frames that a capture tool writes: a file it keeps
                 rewriting, or a folder (the newest image is read). A video
                 device (/dev/video0) is not read directly; run a capture tool
                 into a folder, e.g.
                   ffmpeg -f v4l2 -i /dev/video0 -vf fps=5 -update 1 DIR/frame.png
                 Frames are decoded by zxing (jsQR where WebAssembly does not run).
  --scan-input   a USB scanner that types like a keyboard, read from its
                 input device (/dev/input/eventN or /dev/input/by-id/...):
                 no terminal needed, so it runs as a service (the user needs
                 to be in the input group)
  --warn-after   seconds a camera may give no new frame before a warning
                 line (default 10)
  --screen       terminal (default): each screen drawn in the terminal;
                 png DIR: the screen kept as DIR/screen.png (240x160)
  --flash        the device's flash, a folder made with mode 0700: key set,
                 audit log, device key, settings (default: /var/lib/pindai
                 as root, else $XDG_DATA_HOME/pindai or ~/.local/share/pindai)
  --config       the agency's build config (as for npm run build: roots,
                 language, timings); or --root KEY (64 hex or a key file),
                 repeatable, with the defaults for the rest
Standard input is a scanner too, when there is one: each line is scanned (a
service has none; it keeps running). LED and buzzer are printed as lines; a
card reader or camera that stops answering gets a "warning:" line.
The clock is the system clock, moved by the agency's signed TIME; after each
reboot of the computer the device waits for a new signed TIME (as a
microcontroller after a power loss). The agency provisions it over the
admin port (a USB-serial cable, or one end of a socat pty pair):
  pindai device keyset --port PATH --keyset FILE
  pindai device time --port PATH --admin-key FILE
  pindai fleet ...   (many devices)
Runs until Ctrl-C or SIGTERM (exit 0). A systemd unit: examples/pindai.service.`;

const SCAN_BAUD = 115200; // the reference scan engines' setting (README, Reference builds)
const LINE_BAUD = 115200;

export async function run(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      "scan-port": { type: "string" },
      "reader-port": { type: "string" },
      "admin-port": { type: "string" },
      "admin-listen": { type: "string" },
      camera: { type: "string" },
      screen: { type: "string" },
      flash: { type: "string" },
      "scan-input": { type: "string" },
      "warn-after": { type: "string" },
      config: { type: "string" },
      root: { type: "string", multiple: true },
    },
    true,
  );
  if (values.help) return io.help(runHelp);
  const screen = values.screen ?? "terminal";
  if (screen !== "terminal" && screen !== "png") throw new CliError(`--screen: terminal or png DIR, got "${screen}"`);
  if (screen === "png" && positionals.length !== 1) throw new CliError("--screen png: give the folder for screen.png (--screen png DIR)");
  if (screen === "terminal" && positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}" (--help lists the options)`);
  if (values.config !== undefined && values.root !== undefined) throw new CliError("--config or --root, not both (the config lists the roots)");
  if (values.camera !== undefined) checkCamera(values.camera);
  const { listenAdmin, parseListen } = await import("../../../firmware/targets/node/admin-tcp");
  const listen = values["admin-listen"] === undefined ? undefined : parseListen(values["admin-listen"]);
  if (values["admin-listen"] !== undefined && listen === undefined) throw new CliError(`--admin-listen: expected HOST:PORT (e.g. 0.0.0.0:7700), got "${values["admin-listen"]}"`);
  for (const r of values.root ?? []) parseRoot(r); // its errors name --root
  const { deviceConfig } = await import("../../build/build");
  const { readBuildFile } = await import("../../build/config");
  const file = values.config !== undefined ? readBuildFile(values.config) : { roots: values.root ?? [] };
  const cfg = deviceConfig(file, buildTime());
  if (cfg.roots.length === 0) throw new CliError("no root of trust: give --root KEY or a --config with roots (without one the device never says OK)");

  const flashDir = flashFolder(values.flash);
  if (values["scan-input"] !== undefined) checkInput(values["scan-input"]);
  // Ports open before anything starts: a wrong path is one line, and nothing runs.
  const scanEngine = values["scan-port"] !== undefined ? await openPort(values["scan-port"], SCAN_BAUD, "scan port") : undefined;
  const reader = values["reader-port"] !== undefined ? await openPort(values["reader-port"], LINE_BAUD, "reader port") : undefined;
  const admin = values["admin-port"] !== undefined ? await openPort(values["admin-port"], LINE_BAUD, "admin port") : undefined;
  const { start } = await import("../../../firmware/targets/node/main");
  const { inputSerial } = await import("../../../firmware/targets/node/serial");
  const node = start(cfg, {
    flashDir,
    scanEngine,
    reader,
    admin,
    keyboard: inputSerial(process.stdin),
    scanInput: values["scan-input"],
    cameraStallMs: values["warn-after"] === undefined ? undefined : parseInteger(values["warn-after"], "warn-after", 1, 86400) * 1000,
    camera: values.camera === undefined ? undefined : { path: values.camera, readFrame: (await import("../../issuer/qr-image")).frameFromFile },
    screen: screen === "png" ? { kind: "png", dir: positionals[0] } : { kind: "terminal", color: process.stdout.isTTY === true },
    out: (line) => io.out(line),
  });
  const tcp = listen === undefined ? undefined : await listenAdmin((s) => node.device.connectAdmin(s), listen).catch((e: Error) => (node.close(), Promise.reject(new CliError(`--admin-listen ${values["admin-listen"]}: ${e.message}`))));
  // Standard input may end at once (a service's /dev/null, Ctrl-D): that is one scanner fewer, not a reason to stop.
  process.stdin.on("error", () => {});
  const stopped = stopSignal();
  io.err(`pindai ${cfg.version} running: ${describe(values)}; flash ${flashDir}; Ctrl-C stops it`);
  const signal = await stopped;
  await tcp?.close();
  node.close();
  io.err(`pindai run: stopped (${signal})`);
  return 0;
}

/**
 * The flash folder: --flash DIR, else /var/lib/pindai as root, else the user's data folder
 * ($XDG_DATA_HOME/pindai, ~/.local/share/pindai); never the working folder (a git checkout).
 * Made with mode 0700 when missing; for --flash only the last folder is made (a typo'd
 * parent is an error, not a new tree).
 */
export function flashFolder(given: string | undefined, env = process.env, uid = process.getuid?.() ?? -1): string {
  let dir = given;
  if (dir === undefined) {
    if (uid === 0) dir = "/var/lib/pindai";
    else if (env.XDG_DATA_HOME !== undefined && env.XDG_DATA_HOME.startsWith("/")) dir = join(env.XDG_DATA_HOME, "pindai");
    else dir = join(homedir(), ".local", "share", "pindai");
    mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
  }
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      if (!statSync(dir).isDirectory()) throw new CliError(`--flash ${dir}: not a folder`);
      return dir;
    }
    if (code === "ENOENT") throw failed(`--flash ${dir}: its parent folder ${dirname(dir)} does not exist`);
    throw failed(`--flash ${dir}: cannot make the folder: ${fsReason(e)}`);
  }
  return dir;
}

/** A scanner's input device: there, and readable (else one line now, not a warning later). */
function checkInput(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new CliError(`--scan-input ${path}: ${fsReason(e)}`);
  }
  if (st.isDirectory()) throw new CliError(`--scan-input ${path}: a folder; give the scanner's /dev/input/eventN (ls -l /dev/input/by-id)`);
}

/** A camera path that exists and is an image file or a folder (not a video device: see --help). */
function checkCamera(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new CliError(`--camera ${path}: ${fsReason(e)}`);
  }
  if (st.isCharacterDevice()) {
    throw new CliError(`--camera ${path}: a device file (a camera's /dev/video*) is not read directly; run a capture tool into a folder and give the folder (pindai run --help)`);
  }
  if (!st.isFile() && !st.isDirectory()) throw new CliError(`--camera ${path}: expected an image file or a folder`);
}

/** The firmware's build time, a floor for the clock (app/clock.ts): SOURCE_DATE_EPOCH, else when this copy of pindai was installed. */
function buildTime(): number {
  if (process.env.SOURCE_DATE_EPOCH !== undefined) return Number(process.env.SOURCE_DATE_EPOCH);
  return Math.floor(statSync(new URL("../../../package.json", import.meta.url)).mtimeMs / 1000);
}

function describe(v: Record<string, string | undefined>): string {
  const parts = ["scans from stdin"];
  if (v["scan-input"]) parts.push(`scanner ${v["scan-input"]}`);
  if (v["scan-port"]) parts.push(`scan engine ${v["scan-port"]}`);
  if (v["reader-port"]) parts.push(`card reader ${v["reader-port"]}`);
  if (v["admin-port"]) parts.push(`admin line ${v["admin-port"]}`);
  if (v["admin-listen"]) parts.push(`admin over TCP on ${v["admin-listen"]}`);
  if (v.camera) parts.push(`camera ${v.camera}`);
  return parts.join(", ");
}
