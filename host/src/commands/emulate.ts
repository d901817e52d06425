// pindai emulate pn532: the simulator's PN532 emulator on a real pty, with a
// card image on it, so `pindai card read --port PTY` (or a device under
// test) can be tried without hardware.
import { parse, parseInteger } from "../args";
import { CliError } from "../../issuer/errors";
import { readCardImage } from "../../issuer/card-image";
import type { Io } from "../cli";
import { stopSignal } from "../stop-signal";

export const emulateHelp = `pindai emulate pn532 [--card card.json] [--seconds N]

Runs a PN532 card reader emulator on one end of a pseudo-terminal pair (made
by socat, which must be installed) and prints the other end's path on the
first line of its output: give it to \`pindai card read --port PATH\`. The card
image (from \`pindai card personalize\`) lies on the reader; without --card
the reader finds no card. Runs until Ctrl-C, or for N seconds.`;

export async function emulate(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { card: { type: "string" }, seconds: { type: "string" } }, true);
  if (values.help) return io.help(emulateHelp);
  if (positionals.length !== 1 || positionals[0] !== "pn532") throw new CliError("expected the device to emulate: pindai emulate pn532 [--card FILE]");
  const seconds = values.seconds !== undefined ? parseInteger(values.seconds, "seconds", 1, 86400) : undefined;
  const card = values.card !== undefined ? readCardImage(values.card) : undefined;
  const { attachPty } = await import("../../../sim/index");
  let pair;
  try {
    pair = await attachPty();
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    throw new CliError(missing ? "needs socat to make the pty pair (apt-get install socat)" : `cannot make a pty pair: ${(e as Error).message.split("\n")[0]}`);
  }
  if (card) pair.emulator.tap({ serial: card.serial, credential: card.credential, secretKey: card.secretKey });
  const stopped = stopSignal();
  io.out(pair.hostPath);
  io.err(`PN532 emulator on ${pair.hostPath}${card ? ` with card ${card.serial}` : ", no card"}: pindai card read --port ${pair.hostPath}; Ctrl-C stops it`);
  // --seconds ends it too; a signal first clears that timer, which would keep the process alive.
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    if (seconds !== undefined) timer = setTimeout(resolve, seconds * 1000);
  });
  await Promise.race([stopped, timedOut]);
  clearTimeout(timer);
  await pair.close();
  return 0;
}
