// The build config (JSON), checked before any work: every mistake is one
// sentence that names the key, so a typo never becomes a device that
// silently uses a default. `examples/agency-build.json` shows every key.
import { CliError } from "../src/errors";
import { readBoundedText } from "../src/files";
import type { EspruinoOptions } from "../../firmware/targets/espruino/main";
import type { LuaOptions } from "../../firmware/targets/lua/main";

export interface BuildFile {
  version?: string;
  /** Root public keys: 64 hex characters, or paths of key files / public key files. */
  roots?: string[];
  lang?: "id" | "en";
  clearAfterMs?: number;
  cardPollMs?: number;
  /** Key sets below this version are never loaded or installed (rollback floor compiled in). */
  minKeysetVersion?: number;
  /** What the audit log keeps of a NIK: "hmac" (default) or "off". */
  auditNik?: "hmac" | "off";
  /** How long a card may take to answer INTERNAL AUTHENTICATE, in ms (default 500). */
  cardAuthMs?: number;
  espruino?: EspruinoOptions;
  /**
   * The Espruino image carries the native Thumb kernel (firmware/targets/espruino/native):
   * only for Espruino boards with an ARM Cortex-M (Puck.js, Pico, nRF52, STM32), never
   * for Espruino for Linux or ESP32 (not Thumb code). Needs arm-none-eabi-gcc at build time.
   */
  espruinoCortexM?: boolean;
  lua?: LuaOptions;
}

const MAX_CONFIG_BYTES = 65536;

type Check = (v: unknown, where: string) => void;

const fail = (where: string, what: string): never => {
  throw new CliError(`${where}: ${what}`);
};
const str: Check = (v, w) => void (typeof v === "string" && v.length > 0 && v.length <= 64 ? 0 : fail(w, "expected a short text"));
const int = (min: number, max: number): Check => (v, w) =>
  void (Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? 0 : fail(w, `expected a whole number from ${min} to ${max}`));
const oneOf = (...vals: string[]): Check => (v, w) => void (vals.includes(v as string) ? 0 : fail(w, `expected ${vals.map((x) => JSON.stringify(x)).join(" or ")}`));
const BAUD = int(300, 4_000_000);
const bool: Check = (v, w) => void (typeof v === "boolean" ? 0 : fail(w, "expected true or false"));

function object(shape: Record<string, Check>, required: string[] = []): Check {
  return (v, where) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) fail(where === "" ? "the config" : where, "expected an object {...}");
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const at = where === "" ? k : `${where}.${k}`;
      if (!(k in shape)) fail(at, `unknown key (known: ${Object.keys(shape).join(", ")})`);
      shape[k](o[k], at);
    }
    for (const k of required) if (!(k in o)) fail(where === "" ? k : `${where}.${k}`, "missing");
  };
}

const roots: Check = (v, w) => {
  if (!Array.isArray(v) || v.length > 8) fail(w, "expected a list of at most 8 roots (64-hex public keys or key file paths)");
  (v as unknown[]).forEach((r, i) => {
    if (typeof r !== "string" || r.length === 0 || r.length > 4096) fail(`${w}[${i}]`, "expected 64 hex characters or a key file path");
  });
};

const SHAPE: Record<string, Check> = {
  version: str,
  roots,
  lang: oneOf("id", "en"),
  clearAfterMs: int(1000, 600_000),
  cardPollMs: int(50, 60_000),
  minKeysetVersion: int(0, 2 ** 32 - 1),
  auditNik: oneOf("hmac", "off"),
  cardAuthMs: int(50, 2000),
  espruinoCortexM: bool,
  espruino: object(
    {
      admin: object({ port: oneOf("Serial1", "Serial2", "USB", "Telnet", "Terminal", "Bluetooth"), baud: BAUD, rx: str, tx: str, path: str }, ["port", "baud"]),
      scanEngine: object({ port: oneOf("Serial1", "Serial2"), baud: BAUD, rx: str, tx: str, path: str }, ["port", "baud"]),
      reader: object({ port: oneOf("Serial1", "Serial2"), baud: BAUD, rx: str, tx: str, path: str }, ["port", "baud"]),
      ledGreen: str,
      ledRed: str,
      buzzer: str,
    },
  ),
  lua: object({
    admin: object({ id: int(0, 15), baud: BAUD }, ["id", "baud"]),
    scanEngine: object({ id: int(0, 15), baud: BAUD }, ["id", "baud"]),
    reader: object({ id: int(0, 15), baud: BAUD }, ["id", "baud"]),
    ledGreen: int(0, 63),
    ledRed: int(0, 63),
  }),
};

/** The checked config in `text` (`path` names it in errors). */
export function parseBuildFile(text: string, path: string): BuildFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${path} is not JSON (${(e as Error).message.split("\n")[0]})`);
  }
  try {
    object(SHAPE)(json, "");
  } catch (e) {
    throw new CliError(`${path}: ${(e as Error).message}`);
  }
  return json as BuildFile;
}

export function readBuildFile(path: string): BuildFile {
  return parseBuildFile(readBoundedText(path, "build config", MAX_CONFIG_BYTES), path);
}
