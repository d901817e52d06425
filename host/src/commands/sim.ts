// pindai sim: the virtual verifier, interactive or driven by a script file.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newKey, writeKeyFile, type Usage } from "../keyfile";
import { createInterface } from "node:readline";
import { parse } from "../args";
import { CliError } from "../errors";
import { SimConsole, SIM_HELP } from "../../../sim/console";
import { SerialPort } from "serialport";
import { nodeSerial } from "../../../firmware/targets/node/serial";
import type { Io } from "../cli";

export const simHelp = `pindai sim [--script FILE] [--lang id|en] [--replay off|warn|reject] [--fresh]
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
root.pub.json, keyset.cbor) for those tools: the simulated device trusts that root.

${SIM_HELP}`;

const REPLAY: Record<string, number> = { off: 0, warn: 1, reject: 2 };

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
  if (values.help) return io.help(simHelp);
  if (values.lang !== undefined && values.lang !== "id" && values.lang !== "en") throw new CliError("--lang: id or en");
  if (values.replay !== undefined && !(values.replay in REPLAY)) throw new CliError("--replay: off, warn or reject");
  let script: string | undefined;
  if (values.script !== undefined) {
    try {
      script = readFileSync(values.script, "utf8");
    } catch (e) {
      throw new CliError(`cannot read script ${values.script}: ${(e as Error).message}`);
    }
  }
  const con = new SimConsole({
    lang: values.lang,
    replay: values.replay === undefined ? 1 : REPLAY[values.replay],
    fresh: values.fresh,
    color: script === undefined && process.stdout.isTTY === true,
    flashPath: values.flash,
    speed: values.speed === undefined ? 1 : Number(values.speed),
  });
  if (values.speed !== undefined && !(Number(values.speed) >= 0)) throw new CliError("--speed: a number of virtual seconds per second");
  const openPort = async (path: string, baudRate: number, what: string) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    try {
      await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    } catch (e) {
      throw new CliError(`cannot open ${what} ${path}: ${(e as Error).message}`);
    }
    return port;
  };
  if (values["scan-port"] !== undefined) {
    con.device.connectScanEngine(nodeSerial(await openPort(values["scan-port"], 9600, "scan port")));
    con.device.display.echoTo((t) => io.out(t));
  }
  if (values["write-keys"] !== undefined) writeAgencyKeys(con, values["write-keys"], io);
  if (values["admin-port"] !== undefined) {
    con.connectAdmin(nodeSerial(await openPort(values["admin-port"], 115200, "admin port")));
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
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: "pindai> " });
  rl.prompt();
  for await (const line of rl) {
    for (const l of await con.run(line)) io.out(l);
    if (con.done) break;
    rl.prompt();
  }
  rl.close();
  return 0;
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
    delete root.secretKey;
    writeFileSync(join(dir, "root.pub.json"), JSON.stringify(root, null, 2) + "\n");
    writeFileSync(join(dir, "keyset.cbor"), con.world.keysetBytes);
  } catch (e) {
    throw new CliError(`cannot write keys to ${dir}: ${(e as Error).message}`);
  }
  io.out(`simulated agency keys in ${dir}: admin.json, qr.json, root.pub.json, keyset.cbor`);
}
