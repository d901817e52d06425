// The `pindai` command: one tool for issuers and agencies. Each command's
// module is loaded only when it runs, so `--help` and the small commands
// start fast (the image, serial and simulator libraries are large).
// A computer running pindai is a Linux-class device: its core verifies through
// OpenSSL (firmware/targets/node/natives.ts), installed before any command loads the core.
import "../../firmware/targets/node/natives";
import { createRequire } from "node:module";
import { CliError } from "../issuer/errors";
import { fsReason } from "../issuer/files";
import { FolderError } from "../../firmware/targets/node/make-folder";

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Print a command's help and return its exit status (0). */
  help(text: string): number;
}

type Command = (argv: string[], io: Io) => number | Promise<number>;
/** Loads a command's module and returns the command. */
type Loader = () => Promise<Command>;

const COMMANDS: Record<string, [Loader, string]> = {
  keygen: [async () => (await import("./commands/keys")).keygen, "make an Ed25519 key file (issuer, card, admin or root)"],
  pubkey: [async () => (await import("./commands/keys")).pubkey, "print a key file's public key"],
  keyset: [async () => (await import("./commands/keyset")).keyset, "build and sign an issuer key set with a root key"],
  issue: [async () => (await import("./commands/issue")).issue, "issue a 90-second QR presentation (text and PNG)"],
  verify: [async () => (await import("./commands/verify")).verify, "verify a presentation (text or image) as a device would"],
  card: [async () => (await import("./commands/card")).card, "personalize a card image, or read a card through a PN532"],
  emulate: [async () => (await import("./commands/emulate")).emulate, "run a PN532 reader emulator with a card on a pty (for card read)"],
  sim: [async () => (await import("./commands/sim")).sim, "run the verifier on virtual hardware (interactive or --script)"],
  run: [async () => (await import("./commands/run")).run, "run the verifier firmware on this computer's serial ports (a Linux-class device)"],
  flash: [async () => (await import("./commands/flash")).flashCommand, "upload the Espruino image so it runs at boot, and check it"],
  "flash-lua": [async () => (await import("./commands/flash-lua")).flashLuaCommand, "write the Lua image through a NodeMCU-style Lua REPL"],
  device: [async () => (await import("./commands/device")).device, "one device's admin line: id, status, time, key set, logs, settings, wipe (signed)"],
  fleet: [async () => (await import("./commands/fleet")).fleet, "many devices in a database: provision, enroll, pull logs, set time, push key sets, revoke, list, status"],
  ports: [async () => (await import("./commands/ports")).ports, "the serial ports here, and which answer as pindai devices"],
  scan: [async () => (await import("./commands/scan")).scan, "print the text of each QR code in an image or folder, and the decoder that read it"],
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: pindai COMMAND [options]   (pindai help COMMAND or pindai COMMAND --help for its options; pindai --version)",
    "",
    ...Object.entries(COMMANDS).map(([name, [, what]]) => `  ${name.padEnd(width)}  ${what}`),
    `  ${"completion".padEnd(width)}  print a bash or zsh completion script (pindai completion bash >> ~/.bashrc)`,
    "",
    "Exit status, every command: 0 done (a verdict: OK); 1 something was tried and failed or was",
    "refused: a port, a device, a file that cannot be read or written (a verdict: not OK); 2 usage:",
    "an unknown option, a missing or malformed value, a file that is not what its option takes.",
    "A FILE written to may be - for standard output (--out -, --csv -).",
    "Environment: PINDAI_PORT (--port), PINDAI_ADMIN_KEY (--admin-key), PINDAI_DB (the fleet's",
    "database) stand in for options not given; NO_COLOR=1 turns colour off (off anyway when the",
    "output is not a terminal); PINDAI_DEBUG=1, or pindai --verbose COMMAND, adds the detail",
    "behind an error (the system's own message, the stack).",
    "",
    "pindai's QR and card formats are its own open profile (see README), not the official IKD format.",
  ].join("\n");
}

export function addCommand(name: string, fn: Command, what: string): void {
  COMMANDS[name] = [async () => fn, what];
}

export function version(): string {
  return (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
}

export async function main(argv: string[], io: Io = consoleIo): Promise<number> {
  while (argv[0] === "--verbose" || argv[0] === "-v") {
    process.env.PINDAI_DEBUG ||= "1";
    argv = argv.slice(1);
  }
  const [name, ...rest] = argv;
  if (name === "help" && rest.length > 0) return main([rest[0], "--help"], io);
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(usage());
    if (name !== undefined) return 0;
    io.err("pindai: expected a COMMAND (listed above)");
    return 2;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    io.out(`pindai ${version()}`);
    return 0;
  }
  const entry: [Loader, string] | undefined =
    name === "completion" ? [async () => (argv, io) => import("./completion").then((m) => m.completion(argv, io, Object.keys(COMMANDS))), ""] : COMMANDS[name];
  if (!entry) {
    io.err(`pindai: unknown command "${name}" (pindai --help lists the commands)`);
    return 2;
  }
  try {
    return await (await entry[0]())(rest, io);
  } catch (e) {
    io.err(`pindai ${name}: ${errorSentence(e)}`);
    return exitCodeOf(e);
  }
}

/** The one rule (usage()): 2 for usage errors, 1 for anything tried that failed. */
export function exitCodeOf(e: unknown): 1 | 2 {
  if (e instanceof CliError) return e.exitCode;
  if (e instanceof FolderError) return 1;
  return 1; // a file-system error, or anything unexpected: something was tried and failed
}

/**
 * One line for any error that reaches the top: a CliError's own message, a
 * file-system error as a sentence, anything else by its first line (never a
 * stack trace). PINDAI_DEBUG=1 (pindai --verbose) prints the detail first:
 * the system's own words (the error's cause) and the stack.
 */
export function errorSentence(e: unknown): string {
  if (process.env.PINDAI_DEBUG) {
    const cause = (e as Error)?.cause;
    if (cause !== undefined) process.stderr.write(`detail: ${String((cause as Error)?.stack ?? cause)}\n`);
    process.stderr.write(String((e as Error)?.stack ?? e) + "\n");
  }
  if (e instanceof CliError || e instanceof FolderError) return e.message;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === "string" && typeof err.syscall === "string") {
    return `${err.path ? err.path + ": " : ""}${fsReason(err)}`;
  }
  return `unexpected error: ${String(err?.message ?? e).split("\n")[0]}`;
}

// Straight to the streams: espruino-tools reroutes console.* while it works.
export const consoleIo: Io = {
  out: (line) => void process.stdout.write(line + "\n"),
  err: (line) => void process.stderr.write(line + "\n"),
  help: (text) => {
    process.stdout.write(text + "\n");
    return 0;
  },
};
