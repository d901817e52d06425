// The `pindai` command: one tool for issuers and agencies.
import { CliError } from "./errors";
import { keygen, pubkey } from "./commands/keys";
import { keyset } from "./commands/keyset";
import { issue } from "./commands/issue";
import { verify } from "./commands/verify";
import { card } from "./commands/card";
import { sim } from "./commands/sim";
import { flashLuaCommand } from "./commands/flash-lua";
import { flashCommand } from "./commands/flash";

export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Print a command's help and return its exit status (0). */
  help(text: string): number;
}

type Command = (argv: string[], io: Io) => number | Promise<number>;

const COMMANDS: Record<string, [Command, string]> = {
  keygen: [keygen, "make an Ed25519 key file (issuer, card, admin or root)"],
  pubkey: [pubkey, "print a key file's public key"],
  keyset: [keyset, "build and sign an issuer key set with a root key"],
  issue: [issue, "issue a 90-second QR presentation (text and PNG)"],
  verify: [verify, "verify a presentation (text or image) as a device would"],
  card: [card, "personalize a card image, or read a card through a PN532"],
  sim: [sim, "run the verifier on virtual hardware (interactive or --script)"],
  flash: [flashCommand, "upload the Espruino image so it runs at boot, and check it"],
  "flash-lua": [flashLuaCommand, "write the Lua image through a NodeMCU-style Lua REPL"],
  scan: [async (a, io) => (await import("./commands/scan")).scan(a, io), "print the text of each QR code in an image or folder, and the decoder that read it"],
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: pindai COMMAND [options]   (pindai COMMAND --help for its options)",
    "",
    ...Object.entries(COMMANDS).map(([name, [, what]]) => `  ${name.padEnd(width)}  ${what}`),
    "",
    "pindai's QR and card formats are its own open profile (see README), not the official IKD format.",
  ].join("\n");
}

export function addCommand(name: string, fn: Command, what: string): void {
  COMMANDS[name] = [fn, what];
}

export async function main(argv: string[], io: Io = consoleIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.err(`pindai: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  try {
    return await entry[0](rest, io);
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`pindai ${name}: ${e.message}`);
      return 2;
    }
    throw e;
  }
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
