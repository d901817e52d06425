// pindai flash: upload the Espruino image so it runs at boot, and check it.
import { parse, parseInteger, required } from "../args";
import { flashEspruino, shippedBoards } from "../flash-espruino";
import { progressLine, readImage } from "./upload";
import type { Io } from "../cli";
import { CliError } from "../../issuer/errors";
import { parseTcp } from "../open-port";
import { adminKeyOf } from "./device";

export const flashHelp = `pindai flash --port PATH|tcp://HOST:PORT [--board FILE] [--image dist/espruino/pindai.js]
             [--admin-key FILE] [--baud 9600] [--timeout 10000] [--verbose] [--json]

Uploads the Espruino image over the board's JavaScript console, offline:
reads the board's process.env and its pool of variables (a board under the
Espruino Pico's 5,100 is refused before anything is erased: the image runs
out of memory there), warns where the image verifies too slowly for a door
(a Cortex-M4 board and an image built without "espruinoCortexM": minutes a
verification; Espruino on an ESP32), erases Storage, checks the image fits
(Storage module, free Storage) using the board JSON, writes the image to Storage as
its files (its parts, loaded only when called, then pindai.img), each in
chunks the device checksums and checked whole (progress on stderr), then a
one-line .bootcde that loads it at boot, starts it and asks it for its
firmware version on its admin line. Every step waits for the device's whole
answer line, up to --timeout. Nothing of the old flash (key sets, tables,
the device key) survives a re-flash, so enroll the device again afterwards.

  --port      a serial port (USB or UART console), or tcp://HOST:PORT for
              Espruino's telnet console (the Linux build's --telnet: port 2323)
  --board     a board JSON; default host/boards/<BOARD>.json for the BOARD the
              device reports (shipped: ${shippedBoards().join(", ")})
  --timeout   ms the device may take to answer each step (the upload itself
              gets 60 s plus 1 ms per byte)
  --admin-key a device already running pindai keeps its console locked: a
              signed UNLOCK with this admin (or root) key makes it erase its
              Storage and then open the console until reboot; a flash that
              fails after that leaves a device with no secrets, never an
              unlocked provisioned one
  --verbose   show what the device prints

Exit status 0 when the device runs exactly this image, 1 when flashing failed
(a port that cannot be opened, a refused connection, an unknown host: named
within 2 s), 2 on a usage error (a malformed tcp:// URL included).`;

export async function flashCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    port: { type: "string" },
    board: { type: "string" },
    image: { type: "string" },
    baud: { type: "string" },
    timeout: { type: "string" },
    verbose: { type: "boolean", short: "v" },
    json: { type: "boolean" },
    "admin-key": { type: "string" },
  });
  if (values.help) return io.help(flashHelp);
  const port = required(values.port, "port");
  if (port.startsWith("tcp://")) parseTcp(port); // a malformed URL is usage (exit 2), before anything starts
  const baud = values.baud ? parseInteger(values.baud, "baud", 300, 4000000) : undefined;
  const timeoutMs = values.timeout ? parseInteger(values.timeout, "timeout", 100, 600000) : undefined;
  // Usage is checked first (exit 2); then the image is read (exit 1 when it cannot be).
  const image = readImage(values.image ?? "dist/espruino/pindai.js", values.image !== undefined).toString("latin1");
  const started = Date.now();
  try {
    const r = await flashEspruino(port, image, {
      board: values.board,
      baud,
      timeoutMs,
      progress: progressLine(io, "flash"),
      log: values.verbose ? (line) => io.err("  " + line) : undefined,
      warn: (s) => io.err(`pindai flash: warning: ${s}`),
      adminKey: adminKeyOf(values["admin-key"]),
    });
    const seconds = (Date.now() - started) / 1000;
    if (values.json) io.out(JSON.stringify({ ...r, seconds }));
    else {
      io.out(`flashed ${r.bytes} bytes to ${r.files.map((f) => f.name).join(", ")} on ${r.boardName} (Espruino ${r.firmware}), each file's CRC-32 verified, in ${seconds.toFixed(1)} s`);
      io.out(`running: pindai ${r.version}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof CliError) throw e; // its own exit status (usage 2, failure 1)
    io.err(`pindai flash: ${(e as Error).message}`);
    return 1;
  }
}
