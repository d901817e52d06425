// pindai sim: the virtual verifier, interactive or driven by a script file.
import { createInterface } from "node:readline";
import { Transform } from "node:stream";
import { colorFor, parse, parseInteger } from "../args";
import { CliError, failed } from "../../issuer/errors";
import { fsReason, readBoundedText } from "../../issuer/files";
import { openPort } from "../open-port";
import type { Io } from "../cli";
import { stopSignal } from "../stop-signal";
import { writeFileSync } from "node:fs";
import { makeFolder } from "../../../firmware/targets/node/make-folder";
import { join } from "node:path";
import { newKey, unhex, writeKeyFile, type Usage } from "../../issuer/keyfile";
import { parseRoot } from "../../issuer/trust";
import type { RootKey } from "../../../firmware/core/keyset";
import type { SimConsole } from "../../../sim/index";
import { replayCode } from "../../../firmware/core/policy";
import type { PanelName } from "../../../sim/index";

/** The panels of --display (sim/screen.ts PANELS; listed here so --help needs no simulator load). */
const DISPLAYS = ["ssd1306", "st7789-240", "st7789-135", "bangle2", "pixl"] as const;
import { LANGS, isLang } from "../../../firmware/app/i18n";

export const simHelp = `pindai sim [--script FILE] [--lang ${LANGS.join("|")}] [--replay off|warn|reject] [--fresh]
           [--flash FILE] [--speed N] [--scan-port PATH] [--admin-port PATH] [--write-keys DIR]
           [--display ${DISPLAYS.join("|")}]

Runs the verifier firmware on virtual hardware: a screen, LED and buzzer, a
virtual clock, flash, a camera, a card reader with virtual cards, and the
holder's phone showing a fresh 90-second code from a test issuer.
Without --script it reads commands from the keyboard; with --script it runs
the file's commands and exits 1 if any "expect" line (or command) failed.
--replay is the simulated key set's replay policy: reject (the default, as
pindai keyset signs it: a code seen before is REPLAYED), warn or off.
--fresh starts like a new device: no key set, clock not set.
--flash keeps the device's flash in FILE; --speed runs the virtual clock N
times faster; --scan-port reads a scan engine (or its pty) on PATH: each
line it sends is scanned. --admin-port puts the device's admin line on PATH
(one end of a pty pair: socat -d -d pty,raw,echo=0 pty,raw,echo=0), so
pindai device and pindai fleet can drive it from the other end.
--write-keys writes the simulated agency's keys to DIR (admin.json, qr.json,
root.pub.json, keyset.cbor) for those tools: the simulated device trusts that root.
--root KEY (64 hex or a key file, repeatable) or --config FILE (a build
config's roots): the device trusts the agency's own roots too, so its own
key sets and admin keys can be tried.
--admin-listen HOST:PORT puts the admin line on TCP (pindai fleet --ports
tcp://HOST:PORT). With --devices N: N new devices (no key set, clock not
set), each with its own device key, on ports PORT to PORT+N-1, in this one
process (pindai fleet --ports tcp://HOST:PORT-LAST); with --root/--config
they trust only those roots. Runs until Ctrl-C or SIGTERM.

--display lays the screens out on that panel as its driver does (the png command
draws it; the admin line's SCREEN answers it); default: the 240x160 PNG.`;

export async function sim(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    script: { type: "string" },
    lang: { type: "string" },
    replay: { type: "string" },
    fresh: { type: "boolean" },
    flash: { type: "string" },
    speed: { type: "string" },
    "scan-port": { type: "string" },
    "admin-port": { type: "string" },
    "write-keys": { type: "string" },
    root: { type: "string", multiple: true },
    config: { type: "string" },
    devices: { type: "string" },
    "admin-listen": { type: "string" },
    display: { type: "string" },
  });
  if (values.help) return io.help(simHelp + "\n\n" + (await import("../../../sim/index")).SIM_HELP);
  if (values.lang !== undefined && !isLang(values.lang)) throw new CliError("--lang: " + LANGS.join(" or "));
  if (values.display !== undefined && !(DISPLAYS as readonly string[]).includes(values.display)) throw new CliError("--display: " + DISPLAYS.join(", "));
  if (values.replay !== undefined && replayCode(values.replay) < 0) throw new CliError("--replay: off, warn or reject");
  if (values.speed !== undefined && !(Number(values.speed) >= 0 && Number(values.speed) <= 1e6)) {
    throw new CliError("--speed: virtual seconds per real second, 0 to 1000000");
  }
  const script = values.script === undefined ? undefined : readBoundedText(values.script, "script", MAX_SCRIPT_BYTES);
  // A binary file is not a script: refused whole, never echoed line by line into the terminal.
  if (script !== undefined && (CONTROL.test(script) || script.includes("\ufffd"))) {
    throw new CliError(`--script ${values.script}: not a text file of simulator commands (it holds control bytes or is not UTF-8)`);
  }
  const agency = await agencyOptions(values);
  if (agency.count !== undefined) return simFleet(agency.count, agency.listen!, agency.roots, values["write-keys"], io);
  // The simulator (the firmware, the virtual hardware, the image libraries) loads once the inputs are checked.
  const { SimConsole } = await import("../../../sim/index");
  const con = new SimConsole({
    lang: values.lang,
    replay: values.replay === undefined ? undefined : replayCode(values.replay),
    fresh: values.fresh,
    color: script === undefined && colorFor(process.stdout),
    flashPath: values.flash,
    speed: values.speed === undefined ? 1 : Number(values.speed),
    roots: agency.roots,
    display: values.display as PanelName | undefined,
  });
  if (values["scan-port"] !== undefined) {
    con.device.connectScanEngine(await openPort(values["scan-port"], 9600, "scan port"));
    con.device.display.echoTo((t) => io.out(t));
  }
  if (values["write-keys"] !== undefined) writeAgencyKeys(con.world, values["write-keys"], io);
  if (values["admin-port"] !== undefined) {
    con.connectAdmin(await openPort(values["admin-port"], 115200, "admin port"));
    io.out(`admin line on ${values["admin-port"]}`);
  }
  if (agency.listen !== undefined) {
    const { listenAdmin } = await import("../../../firmware/targets/node/admin-tcp");
    const l = await listenAdmin((s) => con.connectAdmin(s), agency.listen).catch((e: Error) => Promise.reject(new CliError(`--admin-listen: ${e.message}`)));
    io.out(`admin line on tcp://${agency.listen.host}:${l.port}`);
  }

  if (script !== undefined) {
    let errors = 0;
    const lines = script.split(/\r?\n/);
    for (let i = 0; i < lines.length && !con.done; i++) {
      // Between lines the device's timers get their turn, as between a guard's scans: the
      // background table maker finishes (boot, key set install) before the next command.
      await con.settle();
      const out = await con.run(lines[i]);
      if (out.length > 0 && lines[i].trim() !== "") io.out(`> ${lines[i].trim()}`);
      for (const l of out) {
        io.out(l);
        if (/^(error:|unknown command)/.test(l)) errors++;
      }
    }
    const failures = con.failures + errors;
    io.out(failures === 0 ? "script passed" : `script FAILED: ${failures} check(s) failed`);
    return failures === 0 ? 0 : 1;
  }

  io.out("pindai simulator - type help for commands, quit to leave");
  for (const l of con.screen()) io.out(l);
  // A terminal keeps readline's line editing; a pipe or file goes through a bound on line length.
  const input = process.stdin.isTTY ? process.stdin : process.stdin.pipe(boundedLines(MAX_LINE));
  const rl = createInterface({ input, output: process.stdout, prompt: "pindai> ", terminal: process.stdin.isTTY === true });
  rl.prompt();
  try {
    for await (const line of rl) {
      for (const l of await con.run(line)) io.out(l);
      if (con.done || process.stdout.destroyed) break;
      // A reader that is slow or gone (| sleep 25): stop reading input until the output drains, never queue it.
      if (process.stdout.writableLength > MAX_OUTPUT_BACKLOG && !(await drained(process.stdout))) break;
      rl.prompt();
    }
  } finally {
    rl.close();
  }
  return 0;
}

/** Output queued for a slow reader before the simulator stops reading its input. */
const MAX_OUTPUT_BACKLOG = 64 * 1024;

/** Waits until `out` drains; false when it closed or failed instead (the reader is gone). */
function drained(out: NodeJS.WriteStream): Promise<boolean> {
  if (out.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      out.off("drain", onDrain).off("error", onError).off("close", onError);
      resolve(ok);
    };
    const onDrain = done(true);
    const onError = done(false);
    out.once("drain", onDrain).once("error", onError).once("close", onError);
  });
}

const MAX_SCRIPT_BYTES = 1024 * 1024;
/** Control characters a text script never holds (tab, CR and LF are fine). */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
/** A command line is short; a key set line (admin KEYSET hex) is the longest, 2 x 16384 hex digits. */
const MAX_LINE = 40_000;

/** Passes text through, failing once a line grows past `max` characters (input like /dev/zero). */
function boundedLines(max: number): Transform {
  let run = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      for (const b of chunk) {
        run = b === 10 ? 0 : run + 1;
        if (run > max) return done(new CliError(`an input line is longer than ${max} characters`));
      }
      done(null, chunk);
    },
  });
}

/** The simulated agency's keys as files, for pindai device / fleet against the simulator. */
function writeAgencyKeys(world: SimConsole["world"], dir: string, io: Io): void {
  const now = Math.floor(Date.now() / 1000);
  const file = (usage: Usage[], secret: Uint8Array) => newKey(usage, now - 86400, now + 365 * 86400, new Uint8Array(secret));
  makeFolder(dir); // DIR itself, never missing parents (and no loop on /proc)
  try {
    writeKeyFile(join(dir, "admin.json"), file(["admin"], world.adminKey.secretKey));
    writeKeyFile(join(dir, "qr.json"), file(["qr"], world.qrSigner.secretKey));
    const root = file(["root"], world.rootKey.secretKey);
    // The simulator's demo root (a fixed seed): a clock never set takes only a root's TIME (docs/SPEC.md 6.4).
    writeKeyFile(join(dir, "root.json"), root);
    delete root.secretKey;
    writeFileSync(join(dir, "root.pub.json"), JSON.stringify(root, null, 2) + "\n");
    writeFileSync(join(dir, "keyset.cbor"), world.keysetBytes);
  } catch (e) {
    throw failed(`cannot write keys to ${dir}: ${fsReason(e)}`, e);
  }
  io.out(`simulated agency keys in ${dir}: admin.json, qr.json, root.json, root.pub.json, keyset.cbor`);
}

/** --root/--config (the agency's roots), --devices N and --admin-listen HOST:PORT, checked. */
async function agencyOptions(values: Record<string, string | string[] | boolean | undefined>): Promise<{ roots?: RootKey[]; count?: number; listen?: { host: string; port: number } }> {
  if (values.config !== undefined && values.root !== undefined) throw new CliError("--config or --root, not both (the config lists the roots)");
  let roots: RootKey[] | undefined;
  if (values.root !== undefined) roots = (values.root as string[]).map((r) => parseRoot(r));
  if (typeof values.config === "string") {
    const { deviceConfig } = await import("../../build/build");
    const { readBuildFile } = await import("../../build/config");
    roots = deviceConfig(readBuildFile(values.config), 0).roots.map((r) => ({ kid: unhex(r.kid), publicKey: unhex(r.publicKey) }));
    if (roots.length === 0) throw new CliError(`--config ${values.config} lists no roots`);
  }
  const { parseListen } = await import("../../../firmware/targets/node/admin-tcp");
  const listenText = values["admin-listen"] as string | undefined;
  const listen = listenText === undefined ? undefined : parseListen(listenText);
  if (listenText !== undefined && listen === undefined) throw new CliError(`--admin-listen: expected HOST:PORT (e.g. 127.0.0.1:7700), got "${listenText}"`);
  if (values.devices === undefined) return { roots, listen };
  const { MAX_SIM_DEVICES } = await import("../../../sim/index");
  const count = parseInteger(values.devices as string, "devices", 1, MAX_SIM_DEVICES);
  if (listen === undefined) throw new CliError("--devices: give --admin-listen HOST:PORT (the first device's port)");
  if (listen.port === 0 || listen.port + count - 1 > 65535) throw new CliError(`--admin-listen: ports ${listen.port} to ${listen.port + count - 1} are not all between 1 and 65535`);
  for (const o of ["script", "scan-port", "admin-port", "flash"]) if (values[o] !== undefined) throw new CliError(`--devices runs devices without a console: --${o} does not apply`);
  return { roots, count, listen };
}

/** pindai sim --devices N: N simulated devices on consecutive TCP ports, until Ctrl-C or SIGTERM. */
async function simFleet(count: number, listen: { host: string; port: number }, roots: RootKey[] | undefined, keysDir: string | undefined, io: Io): Promise<number> {
  const { startSimFleet } = await import("../../../sim/index");
  const fleet = await startSimFleet({ count, host: listen.host, port: listen.port, roots }).catch((e: Error) => Promise.reject(new CliError(`--admin-listen: ${e.message}`)));
  if (keysDir !== undefined) writeAgencyKeys(fleet.world, keysDir, io);
  const last = listen.port + count - 1;
  const stopped = stopSignal();
  io.out(`${count} simulated device(s) on tcp://${listen.host}:${listen.port}${count > 1 ? `-${last}` : ""} (new: no key set, clock not set); Ctrl-C stops them`);
  await stopped;
  await fleet.close();
  return 0;
}
