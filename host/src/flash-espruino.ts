// Upload the Espruino image with espruino-tools used as a library, offline.
// One connection does everything, so nothing is cut off while the device is
// still reading: ask the board who it is (process.env), check the image fits
// the board (its board JSON, shipped in host/boards or named with --board),
// write it to Storage as .bootcde (the tools' SAVE_ON_SEND), then have the
// device checksum what it stored, load() it and report the firmware version.
import { createRequire } from "node:module";
import { SerialPort } from "serialport";
import { DeviceClient, DeviceError, openLink, type AdminKey } from "../issuer/device-client";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "../../firmware/core/crc32";
import { connectTcp, floodGuard, parseTcp } from "./open-port";
import { jsonWhere, portReason } from "../issuer/files";

const BOARDS = resolve(dirname(fileURLToPath(import.meta.url)), "../boards");
export const BOOT_FILE = ".bootcde";
/** The image itself; .bootcde only loads it, and is written once it checks. */
export const IMAGE_FILE = "pindai.img";
/** What .bootcde holds: code and strings are read from flash in place, not copied into variables. */
export const BOOT_LOADER = `eval(require("Storage").read(${JSON.stringify(IMAGE_FILE)}));`;
/** Image bytes per Storage.write line (1,024 base64 characters). */
const CHUNK = 768;
const UPLOAD_TRIES = 3;

export interface BoardJson {
  info?: { name?: string; builtin_modules?: string[] };
  chip?: { flash?: number; ram?: number };
  [key: string]: unknown;
}

export interface FlashOptions {
  /** A board JSON file; default: host/boards/<BOARD>.json for the board the device names. */
  board?: string;
  /** Serial ports only (USB consoles ignore it); default 9600, Espruino's UART console rate. */
  baud?: number;
  /** The device must answer each step within this time. */
  timeoutMs?: number;
  progress?: (done: number, total: number) => void;
  /** What espruino-tools prints (connection, upload notes), for --verbose. */
  log?: (line: string) => void;
  /** A device already running pindai has its REPL locked: a signed UNLOCK (this key) opens it until it reboots. */
  adminKey?: AdminKey;
}

export interface FlashResult {
  /** The board JSON used, and the name it gives the board. */
  board: string;
  boardName: string;
  firmware: string;
  bytes: number;
  crc: number;
  version: string;
  storageFree: number;
}

export class FlashError extends Error {}

/* eslint-disable @typescript-eslint/no-explicit-any */
let tools: any;
let toolLog: (line: string) => void = () => {};
let boardFile: string | undefined;
let serialPath: string | undefined;

/** Load espruino-tools once, with every online feature off. */
async function loadTools(): Promise<any> {
  if (tools) return tools;
  const req = createRequire(import.meta.url);
  const esp = req("espruino");
  // The tools print while they load (one line per file): keep that out of our output.
  await quietly(() => new Promise<void>((done) => esp.init(done)));
  const E = (globalThis as any).Espruino;
  const c = E.Config;
  c.set("MODULE_URL", ""); // never fetch modules: the image needs none
  c.set("BOARD_JSON_URL", "pindai-boards:"); // answered by the getURL processor below
  c.set("SAVE_ON_SEND", 1); // Storage .bootcde: runs at boot
  c.set("LOAD_STORAGE_FILE", 0); // we load() after checking what was stored
  c.set("MINIFICATION_LEVEL", ""); // the image is minified already
  c.set("PRETOKENISE", 0);
  c.set("SET_TIME_ON_WRITE", false); // the clock is set with the service line, deliberately
  c.set("RESET_BEFORE_SEND", true);
  c.set("STORE_LINE_NUMBERS", false);
  for (const k of ["BLUETOOTH_LOW_ENERGY", "BLUETOOTH_LOW_ENERGY_DBUS", "WEB_BLUETOOTH", "SERIAL_AUDIO"]) c.set(k, false);
  E.Core.Notifications = {
    success: (m: string) => toolLog(String(m)),
    info: (m: string) => toolLog(String(m)),
    warning: (m: string) => toolLog("warning: " + m),
    error: (m: string) => toolLog("error: " + m),
  };
  // The tools ask for BOARD_JSON_URL/<BOARD>.json after reading process.env: answer from disk.
  E.addProcessor("getURL", (req: { url: string; data?: string }, next: (r: unknown) => void) => {
    const m = /^pindai-boards:\/(.+)\.json$/.exec(req.url);
    if (!m) return next(req);
    try {
      next({ ...req, data: JSON.stringify(loadBoard(m[1], boardFile).json) });
    } catch {
      next({ ...req, data: "{}" }); // flashEspruino reports the missing board itself
    }
  });
  // Serial ports go through the project's node-serialport, so any path opens
  // (the tools only open ports they can list, and a pty is never listed), and
  // tcp:// through host/issuer/tcp.ts (a refused port or an unknown host is
  // named at once, not after the tools' 25 s). What the device sends is bounded.
  let conn: { write(b: Buffer, done: () => void): void; close(): void } | undefined;
  E.Core.Serial.devices.push({
    name: "pindai serialport",
    getPorts: (cb: (ports: unknown[], instant: boolean) => void) => cb(serialPath ? [{ path: serialPath, description: "pindai" }] : [], true),
    open(path: string, opened: (info?: string) => void, received: (d: ArrayBuffer) => void, disconnected: () => void) {
      const guard = floodGuard(FLOOD_BYTES, 1000, () => {
        linkFailed(new FlashError(`${path} sent more than ${FLOOD_BYTES} bytes in a second: not an Espruino console (or a line at the wrong baud rate)`));
        conn?.close();
      });
      const onData = (d: Buffer) => guard(d) && received(new Uint8Array(d).slice().buffer);
      const failOpen = (e: Error) => {
        linkFailed(e);
        opened(undefined);
        disconnected();
      };
      if (path.startsWith("tcp://")) {
        connectTcp(path).then((sock) => {
          conn = { write: (b, done) => void sock.write(b, () => done()), close: () => sock.destroy() };
          sock.on("data", onData);
          sock.on("close", () => disconnected());
          sock.on("error", (e: Error) => toolLog("connection error: " + e.message));
          opened("Ok");
        }, failOpen);
        return;
      }
      const p = new SerialPort({ path, baudRate: Number(E.Config.BAUD_RATE) || 9600, autoOpen: false });
      conn = { write: (b, done) => void p.write(b, () => done()), close: () => (p.isOpen ? p.close() : undefined) };
      p.on("data", onData);
      p.on("close", () => disconnected());
      p.on("error", (e: Error) => toolLog("serial error: " + e.message));
      p.open((err) => {
        if (err) {
          toolLog(`cannot open ${path}: ${err.message}`);
          failOpen(new FlashError(`cannot open ${path}: ${portReason(err)}`));
        } else opened("Ok");
      });
    },
    write: (data: string, done: () => void) => conn?.write(Buffer.from(data, "latin1"), () => done()),
    close: () => conn?.close(),
  });
  // A step the tools timed out may still have a timer that writes: never after the port closed.
  const write = E.Core.Serial.write;
  E.Core.Serial.write = (...a: unknown[]) => (E.Core.Serial.isConnected() ? write(...a) : toolLog("(a late write after closing was dropped)"));
  tools = E;
  return E;
}

async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, warn: console.warn, error: console.error, info: console.info };
  console.log = console.info = (...a: unknown[]) => toolLog(a.join(" "));
  console.warn = console.error = (...a: unknown[]) => toolLog(a.join(" "));
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
  }
}

function withTimeout<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new FlashError(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** The board JSON: the --board file, or the one shipped for the board the device names. */
export function loadBoard(boardName: string, file?: string): { path: string; json: BoardJson } {
  const path = file ? resolve(file) : join(BOARDS, boardName + ".json");
  if (!existsSync(path)) {
    throw new FlashError(
      file
        ? `no board file ${file}`
        : `no board JSON shipped for ${boardName} (host/boards has ${shippedBoards().join(", ")}); pass --board FILE`,
    );
  }
  let json: BoardJson;
  const text = readFileSync(path, "utf8");
  try {
    json = JSON.parse(text);
  } catch (e) {
    const where = jsonWhere(text, e);
    throw new FlashError(`${path}: not JSON${where ? ` (${where})` : ""}`);
  }
  if (typeof json !== "object" || json === null || typeof json.info !== "object") throw new FlashError(`${path}: not a board JSON (no "info")`);
  return { path, json };
}

export function shippedBoards(): string[] {
  return readdirSync(BOARDS).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
}

/** Reasons this image cannot work on this board, from the device's own env and the board JSON. */
export function fitProblems(env: Record<string, unknown>, board: BoardJson, imageBytes: number, storageFree: number): string[] {
  const problems: string[] = [];
  const modules = typeof env.MODULES === "string" ? env.MODULES.split(",") : board.info?.builtin_modules ?? [];
  if (modules.indexOf("Storage") < 0) problems.push(`the firmware has no Storage module (has: ${modules.join(", ") || "none"})`);
  const m = /^(\d+)v(\d+)/.exec(String(env.VERSION ?? ""));
  if (!m || (Number(m[1]) < 2 && Number(m[2]) < 96)) problems.push(`firmware ${String(env.VERSION)} is older than 1v96 (no Storage uploads)`);
  if (storageFree < imageBytes) problems.push(`the image needs ${imageBytes} bytes of Storage, the board has ${storageFree} free`);
  return problems;
}

export function flashEspruino(port: string, image: string, o: FlashOptions = {}): Promise<FlashResult> {
  toolLog = o.log ?? (() => {});
  if (port.startsWith("tcp://")) parseTcp(port); // a malformed URL is a usage error, before anything starts
  // A port that cannot be opened, or that floods, ends the flash at once with its reason.
  const broken = new Promise<never>((_, reject) => (linkFailed = reject));
  broken.catch(() => {});
  // The tools print as they go (ports, throttling, progress): that goes to o.log, not our output.
  return quietly(() => Promise.race([upload(port, image, o), broken]));
}

/** Ends the current flash with a link's failure (set by flashEspruino). */
let linkFailed: (e: Error) => void = () => {};
/** A device's console says a few KB a second; a peer past this is cut off. */
const FLOOD_BYTES = 1 << 20;

/** A locked pindai image answers the admin protocol, not JavaScript: ask it to UNLOCK (signed). */
async function unlock(port: string, o: FlashOptions): Promise<void> {
  const link = await openLink(port, { timeoutMs: o.timeoutMs ?? 10_000, baud: o.baud });
  try {
    await new DeviceClient(link, o.adminKey).unlock();
  } catch (e) {
    // No pindai image answering (a fresh Espruino): its REPL is open anyway.
    if (!(e instanceof DeviceError && e.code === "TIMEOUT")) throw new FlashError(`unlocking the device: ${(e as Error).message}`);
  } finally {
    await link.close();
  }
}

async function upload(port: string, image: string, o: FlashOptions): Promise<FlashResult> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  if (o.adminKey !== undefined) await unlock(port, o);
  const E = await loadTools();
  serialPath = port;
  E.Config.set("BAUD_RATE", o.baud ?? 9600);
  if (/[^\x09\x0a\x0d\x20-\x7e]/.test(image)) throw new FlashError("the image is not plain ASCII: rebuild it with npm run build");

  boardFile = o.board;

  // The tools report every write's progress: kept quiet (the upload reports its own, per acknowledged chunk).
  const status = E.Core.Status;
  E.Core.Status = {
    total: 0,
    setStatus(_text: string, total?: number) {
      this.total = total ?? 0;
    },
    hasProgress() {
      return this.total > 0;
    },
    incrementProgress() {},
  };

  const serial = E.Core.Serial;
  let opened = false;
  let closed = false;
  let onClosed = () => {};
  // The tools read process.env and the board JSON before they report the connection.
  // (The tools time their own steps out and always call back: our limits are a last resort above theirs.)
  const connected = withTimeout(
    `connecting to ${port}`,
    timeoutMs + 15_000,
    new Promise<void>((ok, fail) => {
      serial.startListening(() => {});
      serial.open(
        port,
        (info: unknown) => {
          opened = info !== undefined;
          if (opened) ok();
          else fail(new FlashError(`cannot open ${port}`));
        },
        () => {
          closed = true;
          onClosed();
          if (!opened) fail(new FlashError(`cannot open ${port}`));
        },
      );
    }),
  );

  // Send something, then collect the device's output until `re` matches it.
  const untilOutput = (what: string, ms: number, re: RegExp, send: () => void): Promise<RegExpExecArray> =>
    withTimeout(
      what,
      ms,
      new Promise<RegExpExecArray>((res) => {
        let seen = "";
        const previous = serial.startListening((d: ArrayBuffer) => {
          seen += Buffer.from(d).toString("latin1");
          const m = re.exec(seen);
          if (m) {
            serial.startListening(previous);
            res(m);
          }
        });
        send();
      }),
    );

  // An expression's value (or, with prints, what it printed); the tools send it once they see a prompt.
  const expr = (what: string, code: string, ms = timeoutMs, prints = false): Promise<string> =>
    withTimeout(
      what,
      ms + 5000,
      new Promise<string>((res, rej) =>
        E.Core.Utils.executeExpression(code, (r: string | undefined) => (r === undefined ? rej(new FlashError(`${what}: no answer`)) : res(r)), {
          maxTimeout: Math.ceil(ms / 1000),
          exprPrintsResult: prints,
        }),
      ),
    );

  try {
    await connected;
    const envData = E.Core.Env.getData() as Record<string, unknown>;
    if (!envData.BOARD) {
      throw new FlashError(`no Espruino answered on ${port} (process.env was empty)${o.adminKey === undefined ? ": a device running pindai keeps its console locked; give --admin-key to unlock it" : ""}`);
    }
    // Nothing of the old Storage survives: no planted file (a table, a key set slot) outlives a re-flash.
    await expr("erasing Storage", `require("Storage").eraseAll(),1`, 60_000);
    const board = loadBoard(String(envData.BOARD), o.board);
    const storageFree = Number(await expr("asking for free Storage", `require("Storage").getFree()+(require("Storage").read(${JSON.stringify(BOOT_FILE)})||"").length`));
    const problems = fitProblems(envData, board.json, image.length, storageFree);
    if (problems.length > 0) throw new FlashError(`${String(envData.BOARD)} cannot run this image: ` + problems.join("; "));

    // Upload, paced by the device's acknowledgements: one Storage.write() line per chunk, each
    // answered with the CRC-32 of what landed. A chunk lost or damaged on the way (a slow or
    // lossy link) starts the image file again, at most UPLOAD_TRIES times. The image goes to
    // IMAGE_FILE; only once all of it checks does the one-line boot loader go to .bootcde, so
    // a half-written image never boots.
    const bytes = Buffer.from(image, "latin1");
    const want = crc32(bytes, 0, bytes.length);
    let landed = false;
    for (let attempt = 1; attempt <= UPLOAD_TRIES && !landed; attempt++) {
      if (attempt > 1) toolLog(`upload attempt ${attempt}: a chunk did not land whole`);
      // An erased file keeps its room until Storage is compacted: a retry compacts, or a third try
      // finds no room (seconds on a real board's flash). The first try follows eraseAll: nothing to compact.
      const compact = attempt > 1 ? `require("Storage").compact(),` : "";
      await expr("erasing the image file", `require("Storage").erase(${JSON.stringify(IMAGE_FILE)}),${compact}1`, 60_000);
      landed = true;
      for (let off = 0; off < bytes.length; off += CHUNK) {
        const piece = bytes.subarray(off, off + CHUNK);
        const size = off === 0 ? `,${bytes.length}` : "";
        const line =
          `\x10require("Storage").write(${JSON.stringify(IMAGE_FILE)},atob("${piece.toString("base64")}"),${off}${size}),` +
          `print("<pindai "+${off}+" "+E.CRC32(require("Storage").read(${JSON.stringify(IMAGE_FILE)},${off},${piece.length}))+">")\n`;
        const got = await untilOutput(`chunk at ${off}`, timeoutMs + 30_000, new RegExp(`<pindai ${off} (-?\\d+)>`), () => serial.write(line, false)).catch(() => undefined);
        if (got === undefined || Number(got[1]) >>> 0 !== crc32(piece, 0, piece.length)) {
          landed = false;
          break;
        }
        o.progress?.(off + piece.length, bytes.length);
      }
    }
    if (!landed) throw new FlashError(`the image did not land whole in ${UPLOAD_TRIES} tries: the link loses data; try a slower --baud`);
    const check = `\x10print("<pindai "+"stored "+E.CRC32(require("Storage").read(${JSON.stringify(IMAGE_FILE)}))+">")\n`;
    const stored = await untilOutput("checking the stored image", timeoutMs, /<pindai stored (-?\d+)>/, () => serial.write(check, false));
    if (Number(stored[1]) >>> 0 !== want) {
      throw new FlashError(`the device stored something else (CRC-32 ${stored[1]}, expected ${want}): the upload was corrupted; try again`);
    }
    await expr("writing the boot loader", `require("Storage").write(${JSON.stringify(BOOT_FILE)},${JSON.stringify(BOOT_LOADER)}),require("Storage").read(${JSON.stringify(BOOT_FILE)}).length`);
    // Start it as a reset would (load() clears the interpreter and runs .bootcde). The image takes
    // the REPL off this line and answers the admin protocol on it: ask for VERSION until it does.
    let asking: NodeJS.Timeout | undefined;
    const version = await untilOutput("starting the image and asking its version", 60_000, /OK pindai (\S+)/, () => {
      serial.write("\x10load()\n", false);
      asking = setInterval(() => serial.write("VERSION\n", false), 1000);
    })
      .catch((e) => {
        throw new FlashError(`the image was stored but did not answer VERSION on its admin line (${(e as Error).message}; --verbose shows its output)`);
      })
      .finally(() => clearInterval(asking));
    return {
      board: board.path,
      boardName: board.json.info?.name ?? String(envData.BOARD),
      firmware: String(envData.VERSION),
      bytes: image.length,
      crc: want,
      version: version[1],
      storageFree,
    };
  } finally {
    E.Core.Status = status;
    if (!closed) {
      await withTimeout(
        "closing",
        2000,
        new Promise<void>((res) => {
          onClosed = res;
          serial.close();
        }),
      ).catch(() => {});
    }
  }
}
