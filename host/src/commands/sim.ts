// pindai sim: the virtual verifier, interactive or driven by a script file.
import { createInterface } from "node:readline";
import { Transform } from "node:stream";
import { parse } from "../args";
import { CliError } from "../../issuer/errors";
import { readBoundedText } from "../../issuer/files";
import { openPort } from "../open-port";
import type { Io } from "../cli";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newKey, writeKeyFile, type Usage } from "../../issuer/keyfile";
import type { SimConsole } from "../../../sim/index";
import { REPLAY_WARN, replayCode } from "../../../firmware/core/policy";
import { LANGS, isLang } from "../../../firmware/app/i18n";

export const simHelp = `pindai sim [--script FILE] [--lang ${LANGS.join("|")}] [--replay off|warn|reject] [--fresh]
           [--flash FILE] [--speed N] [--scan-port PATH] [--admin-port PATH] [--write-keys DIR]

Runs the verifier firmware on virtual hardware: a screen, LED and buzzer, a
virtual clock, flash, a camera, a card reader with virtual cards, and the
holder's phone showing a fresh 90-second code from a test issuer.
Without --script it reads commands from the keyboard; with --script it runs
the file's commands and exits 1 if any "expect" line (or command) failed.
--fresh starts like a new device: no key set, clock not set.
--flash keeps the device's flash in FILE; --speed runs the virtual clock N
times faster; --scan-port reads a scan engine (or its pty) on PATH: each
line it sends is scanned. --admin-port puts the device's admin line on PATH
(one end of a pty pair: socat -d -d pty,raw,echo=0 pty,raw,echo=0), so
pindai device and pindai fleet can drive it from the other end.
--write-keys writes the simulated agency's keys to DIR (admin.json, qr.json,
root.pub.json, keyset.cbor) for those tools: the simulated device trusts that root.`;

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
  });
  if (values.help) return io.help(simHelp + "\n\n" + (await import("../../../sim/index")).SIM_HELP);
  if (values.lang !== undefined && !isLang(values.lang)) throw new CliError("--lang: " + LANGS.join(" or "));
  if (values.replay !== undefined && replayCode(values.replay) < 0) throw new CliError("--replay: off, warn or reject");
  if (values.speed !== undefined && !(Number(values.speed) >= 0 && Number(values.speed) <= 1e6)) {
    throw new CliError("--speed: virtual seconds per real second, 0 to 1000000");
  }
  const script = values.script === undefined ? undefined : readBoundedText(values.script, "script", MAX_SCRIPT_BYTES);
  // The simulator (the firmware, the virtual hardware, the image libraries) loads once the inputs are checked.
  const { SimConsole } = await import("../../../sim/index");
  const con = new SimConsole({
    lang: values.lang,
    replay: values.replay === undefined ? REPLAY_WARN : replayCode(values.replay),
    fresh: values.fresh,
    color: script === undefined && process.stdout.isTTY === true,
    flashPath: values.flash,
    speed: values.speed === undefined ? 1 : Number(values.speed),
  });
  if (values["scan-port"] !== undefined) {
    con.device.connectScanEngine(await openPort(values["scan-port"], 9600, "scan port"));
    con.device.display.echoTo((t) => io.out(t));
  }
  if (values["write-keys"] !== undefined) writeAgencyKeys(con, values["write-keys"], io);
  if (values["admin-port"] !== undefined) {
    con.connectAdmin(await openPort(values["admin-port"], 115200, "admin port"));
    io.out(`admin line on ${values["admin-port"]}`);
  }

  if (script !== undefined) {
    let errors = 0;
    const lines = script.split(/\r?\n/);
    for (let i = 0; i < lines.length && !con.done; i++) {
      const out = await con.run(lines[i]);
      if (out.length > 0 && lines[i].trim() !== "") io.out(`> ${lines[i].trim()}`);
      for (const l of out) {
        io.out(l);
        if (/^(error:|unknown command)/.test(l)) errors++;
      }
    }
    const failed = con.failures + errors;
    io.out(failed === 0 ? "script passed" : `script FAILED: ${failed} check(s) failed`);
    return failed === 0 ? 0 : 1;
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
      if (con.done) break;
      rl.prompt();
    }
  } finally {
    rl.close();
  }
  return 0;
}

const MAX_SCRIPT_BYTES = 1024 * 1024;
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
function writeAgencyKeys(con: SimConsole, dir: string, io: Io): void {
  const now = Math.floor(Date.now() / 1000);
  const file = (usage: Usage[], secret: Uint8Array) => newKey(usage, now - 86400, now + 365 * 86400, new Uint8Array(secret));
  try {
    mkdirSync(dir, { recursive: true });
    writeKeyFile(join(dir, "admin.json"), file(["admin"], con.world.adminKey.secretKey));
    writeKeyFile(join(dir, "qr.json"), file(["qr"], con.world.qrSigner.secretKey));
    const root = file(["root"], con.world.rootKey.secretKey);
    // The simulator's demo root (a fixed seed): a clock never set takes only a root's TIME (docs/SPEC.md 6.4).
    writeKeyFile(join(dir, "root.json"), root);
    delete root.secretKey;
    writeFileSync(join(dir, "root.pub.json"), JSON.stringify(root, null, 2) + "\n");
    writeFileSync(join(dir, "keyset.cbor"), con.world.keysetBytes);
  } catch (e) {
    throw new CliError(`cannot write keys to ${dir}: ${(e as Error).message}`);
  }
  io.out(`simulated agency keys in ${dir}: admin.json, qr.json, root.json, root.pub.json, keyset.cbor`);
}
