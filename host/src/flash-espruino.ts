// Upload the Espruino image over the board's JavaScript console, offline.
// One connection does everything, so nothing is cut off while the device is
// still reading: ask the board who it is (process.env), erase its Storage,
// check the image fits the board (its board JSON, shipped in host/boards or
// named with --board), write it to Storage in chunks the device checksums,
// then the one-line .bootcde that loads it, load() it and ask the image its
// version. Every exchange waits for the whole answer line it needs, with a
// deadline (device-lines.ts), never for a fixed time: the outcome does not
// depend on how a USB link or a busy machine cuts the bytes.
import { DeviceClient, DeviceError, openLink, type AdminKey } from "../issuer/device-client";
import { DeviceLines, END_HALF_LINE, openByteLink, replRequest, type ByteLink } from "./device-lines";
import { KERNEL_LINE } from "../build/espruino-kernel";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "../../firmware/core/crc32";

const BOARDS = resolve(dirname(fileURLToPath(import.meta.url)), "../boards");
export const BOOT_FILE = ".bootcde";
/** The image itself; .bootcde only loads it, and is written once it checks. */
export const IMAGE_FILE = "pindai.img";
/** What .bootcde holds: code and strings are read from flash in place, not copied into variables. */
export const BOOT_LOADER = `eval(require("Storage").read(${JSON.stringify(IMAGE_FILE)}));`;
/** A part's line in the one-file image (host/build/espruino-parts.js): `$Q.<name>=function(){<code>};`. */
const PART_LINE = /^\$Q\.([a-z]+)=function\(\)\{(.*)\};$/;

export interface StorageFile {
  name: string;
  data: string;
}

/**
 * The Storage files an image is flashed as: each part of the image
 * (host/build/espruino-parts.js) as "pindai.<name>", holding the part's code,
 * loaded by the image only when called; the rest as IMAGE_FILE, last. The
 * image file also runs as it is (its parts then come from its own lines).
 */
export function espruinoStorageFiles(image: string): StorageFile[] {
  const files: StorageFile[] = [];
  const rest: string[] = [];
  for (const line of image.split("\n")) {
    const m = PART_LINE.exec(line);
    if (m) files.push({ name: "pindai." + m[1], data: m[2] });
    else rest.push(line);
  }
  return [...files, { name: IMAGE_FILE, data: rest.join("\n") }];
}

/** Image bytes per Storage.write line: with the helper below, a line of about 840 characters. */
const CHUNK = 768;
/**
 * Defined on the device once per upload: each chunk is then one short call, `W("...",offset)`,
 * the image's own text in a string literal (the image is plain ASCII: only quotes, backslashes,
 * tabs and line ends are escaped), answered with the CRC-32 of what landed. About 30% fewer
 * bytes on the wire than a base64 Storage.write line: every byte a console takes is a chance
 * for Espruino for Linux's unlocked input queue to tear (see device-lines.ts, paced).
 */
const WRITER = (file: string, size: number) =>
  `W=function(d,o){var S=require("Storage"),f=${JSON.stringify(file)};if(o)S.write(f,d,o);else S.write(f,d,0,${size});return E.CRC32(S.read(f,o,d.length))},1`;
const UPLOAD_TRIES = 3;
/**
 * How long an upload request waits before it is sent again: a quarter of its deadline, at
 * least 6 s (a request run twice costs the device its time twice; and two Ctrl-C within 5 s on
 * an empty line end Espruino for Linux).
 */
function resendInterval(deadlineMs: number): number {
  return Math.max(6_000, Math.floor(deadlineMs / 4));
}
/** How an upload request is sent again while unanswered (see upload). */
type Resend = "clearing the line" | "as it is" | "never";
/** One upload request: its JavaScript, the answer's JSON it must get (a regular expression's source). */
type Expr = (what: string, code: string, answer: string, ms?: number, resend?: Resend) => Promise<unknown>;

export interface BoardJson {
  /** variables: the board's fixed pool of variables; 0 where the pool grows (Espruino for Linux). */
  info?: { name?: string; builtin_modules?: string[]; variables?: number };
  chip?: { family?: string; flash?: number; ram?: number };
  [key: string]: unknown;
}

export interface FlashOptions {
  /** A board JSON file; default: host/boards/<BOARD>.json for the board the device names. */
  board?: string;
  /** Told what the image will do badly on this board (speedWarning), before the upload. */
  warn?: (s: string) => void;
  /** Serial ports only (USB consoles ignore it); default 9600, Espruino's UART console rate. */
  baud?: number;
  /** The device must answer each step within this time. */
  timeoutMs?: number;
  progress?: (done: number, total: number) => void;
  /** What the device prints and the upload's notes, for --verbose. */
  log?: (line: string) => void;
  /**
   * A device already running pindai has its REPL locked: a signed UNLOCK (this key) erases its
   * Storage and then opens the console, so the device is never unlocked with its secrets in it.
   */
  adminKey?: AdminKey;
}

export interface FlashResult {
  /** The board JSON used, and the name it gives the board. */
  board: string;
  boardName: string;
  firmware: string;
  /** All the files' bytes. */
  bytes: number;
  /** The CRC-32 of IMAGE_FILE as stored. */
  crc: number;
  /** Each Storage file written and checked, IMAGE_FILE last. */
  files: Array<{ name: string; bytes: number; crc: number }>;
  version: string;
  storageFree: number;
  /** What the image will do badly on this board (speedWarning), said before the upload too. */
  warnings: string[];
}

export class FlashError extends Error {}

/** The console answered in pindai's admin protocol: the image still runs, its console locked. */
class LockedConsole extends FlashError {}

/** Unlocks tried while the device goes on answering as pindai (an UNLOCK not answered in time on a busy device). */
const UNLOCK_TRIES = 3;

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
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new FlashError(`${path}: not JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || typeof json.info !== "object") throw new FlashError(`${path}: not a board JSON (no "info")`);
  return { path, json };
}

export function shippedBoards(): string[] {
  return readdirSync(BOARDS).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5));
}

/**
 * The least pool of variables the image was measured to run on: the Espruino Pico's 5,100
 * (test/pool-image.test.ts: provisioned, scans and a signed LOG, no memory flag). Below it, pool
 * builds of 4,950 and 4,800 got through the steps with LOW_MEMORY flagged (collections forced in a
 * nearly full pool), 4,400 ran out of memory at LOG, and the next boards down, 2,950 (MDBT42Q,
 * Pixl.js) and 2,630 (Puck.js), run out while booting (README, Memory): a device there would fail
 * in a guard's hand, so it is not flashed.
 */
export const IMAGE_VARIABLES = 5100;

/**
 * Why this board's pool of variables cannot run the image, or undefined where it can. `total` is
 * what the device answers (process.memory().total); a board JSON with no fixed pool (Espruino for
 * Linux grows its pool) is never refused.
 */
export function poolProblem(board: BoardJson, total: number): string | undefined {
  const fixed = board.info?.variables ?? 0;
  if (fixed <= 0) return undefined;
  const has = Number.isInteger(total) && total > 0 ? total : fixed;
  if (has >= IMAGE_VARIABLES) return undefined;
  return `the image needs a pool of at least ${IMAGE_VARIABLES} variables (the smallest it runs on, the Espruino Pico's); this board has ${has}: it would run out of memory while booting`;
}

/** The chip families of Espruino's Cortex-M4 boards, which run the native kernel (espruinoCortexM). */
const CORTEX_M4 = ["NRF52", "STM32F4"];

/**
 * What the image will do too slowly for a door on this board, or undefined: verification in
 * JavaScript takes minutes on a Cortex-M4 without the native kernel (README, Performance), and
 * seconds on an ESP32, where the README recommends NodeMCU Lua.
 */
export function speedWarning(board: BoardJson, image: string): string | undefined {
  const family = board.chip?.family ?? "";
  const name = board.info?.name ?? family;
  if (CORTEX_M4.indexOf(family) >= 0 && !image.startsWith(KERNEL_LINE)) {
    return `this image verifies in JavaScript (built without "espruinoCortexM"): on ${name} a verification takes minutes; build with "espruinoCortexM": true for about a second`;
  }
  if (/^ESP(32|8266)/.test(family)) return `Espruino on ${name} verifies in JavaScript, about 14 s a scan: the README recommends NodeMCU Lua for an ESP32`;
  return undefined;
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

export async function flashEspruino(port: string, image: string, o: FlashOptions = {}): Promise<FlashResult> {
  if (/[^\x09\x0a\x0d\x20-\x7e]/.test(image)) throw new FlashError("the image is not plain ASCII: rebuild it with npm run build");
  const timeoutMs = o.timeoutMs ?? 10_000;
  const log = o.log ?? (() => {});
  for (let attempt = 1; ; attempt++) {
    if (o.adminKey !== undefined) await unlock(port, o);
    const lines = new DeviceLines();
    lines.onLine = (l) => log("< " + l);
    let link: ByteLink;
    try {
      link = await openByteLink(port, o.baud ?? 9600, timeoutMs, lines, () => lines.end("the link to the device closed"));
    } catch (e) {
      throw new FlashError((e as Error).message);
    }
    try {
      return await upload(link, lines, port, image, timeoutMs, o);
    } catch (e) {
      // Still locked after an UNLOCK: the device was too busy to answer it in time (a first boot
      // making its tables, a loaded machine). It answers now, so it is asked again.
      if (!(e instanceof LockedConsole) || o.adminKey === undefined || attempt >= UNLOCK_TRIES) throw e;
      log(`the device still runs pindai (its UNLOCK was not answered in time): unlocking again (${attempt + 1} of ${UNLOCK_TRIES})`);
    } finally {
      await link.close();
    }
  }
}

/** A locked pindai image answers the admin protocol, not JavaScript: ask it to UNLOCK (signed); it erases its Storage first. */
async function unlock(port: string, o: FlashOptions): Promise<void> {
  let link;
  try {
    link = await openLink(port, { timeoutMs: o.timeoutMs ?? 10_000, baud: o.baud });
  } catch (e) {
    throw new FlashError((e as Error).message);
  }
  try {
    await new DeviceClient(link, o.adminKey).unlock();
  } catch (e) {
    // No pindai image answering (a fresh Espruino): its REPL is open anyway.
    if (!(e instanceof DeviceError && e.code === "TIMEOUT")) throw new FlashError(`unlocking the device: ${(e as Error).message}`);
  } finally {
    await link.close();
  }
}

async function upload(link: ByteLink, lines: DeviceLines, port: string, image: string, timeoutMs: number, o: FlashOptions): Promise<FlashResult> {
  const log = o.log ?? (() => {});
  const write = (s: string) => link.write(s);
  // Every request of the upload but a chunk's does the same when run twice: asked again while
  // unanswered, or answered otherwise than it must be, on a cleared input line (Espruino for
  // Linux mangles pty input now and then: a chunk turned inside out held every line after it, and
  // the REPL lexed that growing line at full CPU, answering nothing). A chunk lost is caught by
  // its CRC-32, and its file sent again. Erasing all of Storage may take long on a board: it is
  // asked again without Ctrl-C, which would break it off.
  const expr: Expr = (what, code, answer, ms = timeoutMs, resend = "clearing the line") =>
    replRequest(lines, write, what, code, ms, {
      answer,
      resendMs: resend === "never" ? undefined : resendInterval(ms),
      clearLine: resend === "clearing the line",
      resent: (n) => log(`${what}: no answer yet, asking again (${n + 1})`),
    }).catch((e: Error) => {
      throw new FlashError(e.message);
    });

  // Who is there: process.env, asked again every second until the deadline (a board still
  // starting, a console still taking the port back). A newline first ends a half-typed line (an
  // unfinished string is an error at once); from the second try a line of closing brackets also
  // ends one left inside open brackets, where Espruino waits for more lines (an upload broken
  // off). No Ctrl-C here (asked each second): twice within 5 s at an idle prompt, Espruino for Linux exits.
  // A running pindai image answers those lines in its admin protocol (ERR UNKNOWN_COMMAND): locked.
  let env: Record<string, unknown>;
  let tries = 0;
  let locked = false;
  try {
    const tag = `env${Date.now().toString(36)}`;
    const ask = `\x10print("<pindai ${tag} "+JSON.stringify(process.env)+">")\n`;
    const got = await lines.request(`asking ${port} for process.env`, timeoutMs, new RegExp(`<pindai ${tag} (\\{.*\\})>$|^ERR [A-Z_]+ `), () => write((tries++ === 0 ? "\n" : END_HALF_LINE) + ask), 1000);
    locked = got[1] === undefined;
    env = locked ? {} : (JSON.parse(got[1]) as Record<string, unknown>);
  } catch {
    env = {};
  }
  if (link.closed) throw new FlashError(`the link to ${port} closed before an Espruino answered (the device stopped or was unplugged)`);
  const lockedHint = ": a device running pindai keeps its console locked; give --admin-key to unlock it";
  if (locked) throw new LockedConsole(`${port} runs pindai, its console locked${o.adminKey === undefined ? "; give --admin-key to unlock it" : `: it did not unlock in ${UNLOCK_TRIES} tries`}`);
  if (typeof env.BOARD !== "string") {
    const hint = o.adminKey === undefined ? lockedHint : ": it did not answer UNLOCK either; switch it off and on, then flash again";
    throw new FlashError(`no Espruino answered on ${port} (process.env was empty)${hint}`);
  }
  log(`found ${env.BOARD}, Espruino ${String(env.VERSION)}`);
  // A reset first clears whatever the old image left running in RAM (its timers would write
  // Storage again; its code is read from the image file in place). reset() keeps the console
  // where it is; what arrives while it runs is lost, so it is asked again each second.
  write("\x10reset()\n");
  await replRequest(lines, write, "resetting the interpreter", "1", timeoutMs, { resendMs: 1000, answer: "1" }).catch((e: Error) => {
    throw new FlashError(e.message);
  });
  // A board too small for the image is refused before anything of it is erased.
  const board = loadBoard(String(env.BOARD), o.board);
  const variables = Number(await expr("asking for the pool of variables", "process.memory().total", "\\d+"));
  const tooSmall = poolProblem(board.json, variables);
  if (tooSmall !== undefined) throw new FlashError(`${String(env.BOARD)} cannot run this image: ${tooSmall} (nothing was erased)`);
  const slow = speedWarning(board.json, image);
  if (slow !== undefined) o.warn?.(slow);
  // Nothing of the old Storage survives: no planted file (a table, a key set slot, a .boot0)
  // outlives a re-flash.
  await expr("erasing Storage", `require("Storage").eraseAll(),1`, "1", 60_000, "as it is");
  const storageFree = Number(await expr("asking for free Storage", `require("Storage").getFree()`, "\\d+"));
  const files = espruinoStorageFiles(image);
  let total = 0;
  for (const f of files) total += f.data.length;
  const problems = fitProblems(env, board.json, total, storageFree);
  if (problems.length > 0) throw new FlashError(`${String(env.BOARD)} cannot run this image: ` + problems.join("; "));

  // Upload, paced by the device's acknowledgements: one Storage.write() line per chunk, each
  // answered with the CRC-32 of what landed. A chunk lost or damaged on the way (a slow or
  // lossy link) starts that file again, at most UPLOAD_TRIES times. The parts go first and
  // IMAGE_FILE last; only once every file checks whole does the one-line boot loader go to
  // .bootcde, so a half-written image never boots.
  const written: FlashResult["files"] = [];
  let done = 0;
  for (const f of files) {
    written.push(await uploadFile(link, expr, f, timeoutMs + 30_000, (n) => o.progress?.(done + n, total), log));
    done += f.data.length;
  }
  await expr("writing the boot loader", `require("Storage").write(${JSON.stringify(BOOT_FILE)},${JSON.stringify(BOOT_LOADER)}),require("Storage").read(${JSON.stringify(BOOT_FILE)}).length`, String(BOOT_LOADER.length));
  // Start it as a reset would (load() clears the interpreter and runs .bootcde). The image takes
  // the REPL off this line and answers the admin protocol on it: ask for VERSION until it does.
  write("\x10load()\n");
  // A first boot makes the device key (and starts the tables) before the admin line answers.
  const version = await lines.request("starting the image and asking its version", Math.max(60_000, 3 * timeoutMs), /OK pindai (\S+)$/, () => write("VERSION\n"), 1000).catch((e: Error) => {
    throw new FlashError(`the image was stored but did not answer VERSION on its admin line (${e.message}; --verbose shows its output)`);
  });
  const last = written[written.length - 1];
  return {
    board: board.path,
    boardName: board.json.info?.name ?? String(env.BOARD),
    firmware: String(env.VERSION),
    bytes: total,
    crc: last.crc,
    files: written,
    version: version[1],
    storageFree,
    warnings: slow === undefined ? [] : [slow],
  };
}

/** One Storage file, chunk by chunk, each chunk's CRC-32 checked, then the whole file's. */
async function uploadFile(
  link: ByteLink,
  expr: Expr,
  f: StorageFile,
  chunkMs: number,
  progress: (done: number) => void,
  log: (line: string) => void,
): Promise<{ name: string; bytes: number; crc: number }> {
  const bytes = Buffer.from(f.data, "latin1");
  const want = crc32(bytes, 0, bytes.length);
  const name = JSON.stringify(f.name);
  let landed = false;
  for (let attempt = 1; attempt <= UPLOAD_TRIES && !landed; attempt++) {
    if (link.closed) break;
    if (attempt > 1) log(`upload attempt ${attempt} of ${f.name}: a chunk did not land whole`);
    // An erased file keeps its room until Storage is compacted, which Storage.write does by
    // itself when it runs out of room (no compact() here: on Espruino for Linux it can crash
    // the interpreter while input arrives).
    await expr(`erasing ${f.name}`, `require("Storage").erase(${name}),1`, "1", 60_000);
    await expr(`defining the chunk writer for ${f.name}`, WRITER(f.name, bytes.length), "1");
    landed = true;
    for (let off = 0; off < bytes.length; off += CHUNK) {
      const piece = bytes.subarray(off, off + CHUNK);
      const got = await expr(`${f.name} chunk at ${off}`, `W(${JSON.stringify(piece.toString("latin1"))},${off})`, ".*", chunkMs, "never").catch(() => undefined);
      if (got === undefined || Number(got) >>> 0 !== crc32(piece, 0, piece.length)) {
        landed = false;
        break;
      }
      progress(off + piece.length);
    }
  }
  if (link.closed) throw new FlashError("the link to the device closed during the upload: the device holds no image and no secrets; flash it again");
  if (!landed) throw new FlashError(`${f.name} did not land whole in ${UPLOAD_TRIES} tries: the link loses data; try a slower --baud`);
  const stored = Number(await expr(`checking the stored ${f.name}`, `E.CRC32(require("Storage").read(${name}))`, "-?\\d+"));
  if (stored >>> 0 !== want) {
    throw new FlashError(`the device stored something else in ${f.name} (CRC-32 ${stored}, expected ${want}): the upload was corrupted; try again`);
  }
  return { name: f.name, bytes: bytes.length, crc: want };
}
