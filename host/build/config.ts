// The build config (JSON), checked before any work: every mistake is one
// sentence that names the key, so a typo never becomes a device that
// silently uses a default. `examples/agency-build.json` shows every key.
// A target's block (espruino, lua) merges over that target's defaults key by
// key: giving only scanEngine keeps the default reader and LEDs; null turns
// a default off. resolveBuild gives the effective config, describeBuild the
// block the build prints.
import { CliError } from "../issuer/errors";
import { jsonWhere, readBoundedText } from "../issuer/files";
import type { EspruinoOptions } from "../../firmware/targets/espruino/main";
import type { LuaOptions } from "../../firmware/targets/lua/main";
import { DEFAULT_LANG, LANGS, type Lang } from "../../firmware/app/i18n";
import { DEFAULT_CARD_AUTH_MS, DEFAULT_CARD_POLL_MS, DEFAULT_CLEAR_AFTER_MS } from "../../firmware/core/policy";

/** A target's block as written: any key may be null, to turn its default off. */
export type Block<T> = { [K in keyof T]?: T[K] | null };

interface BuildSettings {
  version?: string;
  /** Root public keys: 64 hex characters, or paths of key files / public key files. */
  roots?: string[];
  lang?: Lang;
  clearAfterMs?: number;
  cardPollMs?: number;
  /** Key sets below this version are never loaded or installed (rollback floor compiled in). */
  minKeysetVersion?: number;
  /** What the audit log keeps of a NIK: "hmac" (default) or "off". */
  auditNik?: "hmac" | "off";
  /** How long a card may take to answer INTERNAL AUTHENTICATE, in ms (default 500). */
  cardAuthMs?: number;
  /**
   * The Espruino image carries the native Thumb kernel (firmware/targets/espruino/native):
   * only for Espruino boards with an ARM Cortex-M (Puck.js, Pico, nRF52, STM32), never
   * for Espruino for Linux or ESP32 (not Thumb code). Needs arm-none-eabi-gcc at build time.
   */
  espruinoCortexM?: boolean;
  /**
   * The Lua image for NodeMCU's LFS (code and constants in flash): every function stays in the
   * image, none is read back from the image file on first call (lua-lazy.ts), since LFS keeps
   * them out of RAM itself. Compiled into LFS with NodeMCU's own luac.cross (README).
   */
  luaLfs?: boolean;
}

export type TargetName = keyof typeof TARGET_OPTIONS;
type OptionsOf<K extends TargetName> = (typeof TARGET_OPTIONS)[K]["defaults"];
/** The config file: the settings above, and one block per target (TARGET_OPTIONS). */
export type BuildFile = BuildSettings & { [K in TargetName]?: Block<OptionsOf<K>> };

/** The config a build uses: every default filled in, each target block merged key by key. */
export type EffectiveBuild = Resolved & { [K in TargetName]: OptionsOf<K> };
interface Resolved {
  version?: string;
  roots: string[];
  lang: Lang;
  clearAfterMs: number;
  cardPollMs: number;
  minKeysetVersion: number;
  auditNik: "hmac" | "off";
  cardAuthMs: number;
  espruinoCortexM: boolean;
  luaLfs: boolean;
}

/** `block` over `defaults`, key by key; a null key drops the default. */
export function mergeBlock<T extends object>(defaults: T, block: Block<T> | undefined): T {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(block ?? {})) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = v;
  }
  return out as T;
}

export function resolveBuild(file: BuildFile): EffectiveBuild {
  const blocks: Record<string, object> = {};
  for (const name of TARGET_NAMES) blocks[name] = mergeBlock<object>(TARGET_OPTIONS[name].defaults, file[name] as Block<object> | undefined);
  return {
    ...(blocks as { [K in TargetName]: OptionsOf<K> }),
    version: file.version,
    roots: file.roots ?? [],
    lang: file.lang ?? DEFAULT_LANG,
    clearAfterMs: file.clearAfterMs ?? DEFAULT_CLEAR_AFTER_MS,
    cardPollMs: file.cardPollMs ?? DEFAULT_CARD_POLL_MS,
    minKeysetVersion: file.minKeysetVersion ?? 0,
    auditNik: file.auditNik ?? "hmac",
    cardAuthMs: file.cardAuthMs ?? DEFAULT_CARD_AUTH_MS,
    espruinoCortexM: file.espruinoCortexM ?? false,
    luaLfs: file.luaLfs ?? false,
  };
}

/** The effective config as a few lines: settings, then one line per target block. */
export function describeBuild(b: EffectiveBuild, targets: string[] = TARGET_NAMES): string {
  const flat = (o: object) => JSON.stringify(o).replace(/"([A-Za-z][A-Za-z0-9]*)":/g, "$1:");
  const lines = [
    `config: lang ${b.lang}, clearAfterMs ${b.clearAfterMs}, cardPollMs ${b.cardPollMs}, cardAuthMs ${b.cardAuthMs}, ` +
      `minKeysetVersion ${b.minKeysetVersion}, auditNik ${b.auditNik}, espruinoCortexM ${b.espruinoCortexM}, luaLfs ${b.luaLfs}, ${b.roots.length} root(s)`,
  ];
  for (const t of targets) lines.push(`  ${t}: ${flat((b as unknown as Record<string, object>)[t])}`);
  return lines.join("\n");
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

/**
 * A Lua uart: its id and rate, and on an ESP32 its pins (NodeMCU for ESP32 takes a uart other than
 * the console only with its TX and RX pins: both or neither; without them the ESP8266 form).
 */
const luaUartShape = object({ id: int(0, 15), baud: BAUD, tx: int(0, 39), rx: int(0, 39) }, ["id", "baud"]);
const luaUart: Check = (v, w) => {
  luaUartShape(v, w);
  const o = v as Record<string, unknown>;
  if (("tx" in o) !== ("rx" in o)) fail(w, `give both tx and rx (the uart's pins on an ESP32), or neither`);
  if ("tx" in o && o.id === 0) fail(w, "uart 0 is NodeMCU's console: it takes no pins");
};

/** The keys a display block must give when its type has them (the pins it cannot guess, a panel's height). */
const REQUIRED = ["sda", "scl", "sck", "mosi", "cs", "dc", "height"];
/** A display block: its type picks the shape its other keys are checked against. */
function byType(types: Record<string, Record<string, Check>>): Check {
  return (v, where) => {
    const t = v !== null && typeof v === "object" ? (v as Record<string, unknown>).type : undefined;
    if (typeof t !== "string" || !(t in types)) fail(`${where}.type`, `expected ${Object.keys(types).map((x) => JSON.stringify(x)).join(" or ")}`);
    object({ type: str, ...types[t as string] }, Object.keys(types[t as string]).filter((k) => REQUIRED.includes(k)))(v, where);
  };
}
const pin = str;
const espruinoDisplay = byType({
  ssd1306: { i2c: oneOf("I2C1", "I2C2", "I2C3"), sda: pin, scl: pin, addr: int(0, 127), bitrate: int(10_000, 3_400_000) },
  st7789: {
    height: (v, w) => void (v === 240 || v === 135 ? 0 : fail(w, "expected 240 or 135 (a 240x240 or 240x135 panel)")),
    spi: oneOf("SPI1", "SPI2", "SPI3"), sck: pin, mosi: pin, cs: pin, dc: pin, rst: pin, bl: pin, baud: int(100_000, 80_000_000),
    xoff: int(0, 320), yoff: int(0, 320), madctl: int(0, 255),
  },
  bangle2: {},
  pixl: {},
  console: {},
});
const luaDisplay = byType({
  ssd1306: { i2c: int(0, 1), sda: int(0, 63), scl: int(0, 63), addr: int(0, 127) },
  console: {},
});

/**
 * Each target's options block: its defaults (README, Device images) and the
 * shape the config's block is checked against. A target is a folder
 * firmware/targets/NAME, a line in build.ts TARGETS and an entry here.
 */
function target<T>(defaults: T, shape: Record<string, Check>): { defaults: T; shape: Record<string, Check> } {
  return { defaults, shape };
}

/** The scan engine's line: 115,200 baud, which the reference engines (GM65, GM805 class) are set to (README, Reference builds); a 297-character code takes 26 ms on the wire, not 0.31 s at 9,600. */
export const SCAN_ENGINE_BAUD = 115200;

export const TARGET_OPTIONS = {
  espruino: target<EspruinoOptions>(
    { scanEngine: { port: "Serial1", baud: SCAN_ENGINE_BAUD }, reader: { port: "Serial2", baud: 115200 }, ledGreen: "LED2", ledRed: "LED1" },
    {
      admin: object({ port: oneOf("Serial1", "Serial2", "USB", "Telnet", "Terminal", "Bluetooth"), baud: BAUD, rx: str, tx: str, path: str }, ["port", "baud"]),
      scanEngine: object({ port: oneOf("Serial1", "Serial2"), baud: BAUD, rx: str, tx: str, path: str }, ["port", "baud"]),
      reader: object({ port: oneOf("Serial1", "Serial2"), baud: BAUD, rx: str, tx: str, path: str }, ["port", "baud"]),
      ledGreen: str,
      ledRed: str,
      buzzer: str,
      display: espruinoDisplay,
      tables: bool,
    },
  ),
  // The Lua reference unit is an ESP32 with an SSD1306 on I2C 0 (SDA GPIO 21, SCL GPIO 22).
  lua: target<LuaOptions>({ scanEngine: { id: 1, baud: SCAN_ENGINE_BAUD }, reader: { id: 2, baud: 115200 }, display: { type: "ssd1306", i2c: 0, sda: 21, scl: 22, addr: 0x3c } }, {
    admin: luaUart,
    scanEngine: luaUart,
    reader: luaUart,
    ledGreen: int(0, 63),
    ledRed: int(0, 63),
    display: luaDisplay,
  }),
};
const TARGET_NAMES = Object.keys(TARGET_OPTIONS) as TargetName[];

/** A target block: like object, but any key may be null (its default off). */
function block(shape: Record<string, Check>): Check {
  const nullable: Record<string, Check> = {};
  for (const [k, check] of Object.entries(shape)) nullable[k] = (v, w) => (v === null ? undefined : check(v, w));
  return object(nullable);
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
  lang: oneOf(...LANGS),
  clearAfterMs: int(1000, 600_000),
  cardPollMs: int(50, 60_000),
  minKeysetVersion: int(0, 2 ** 32 - 1),
  auditNik: oneOf("hmac", "off"),
  cardAuthMs: int(50, 2000),
  espruinoCortexM: bool,
  luaLfs: bool,
  ...Object.fromEntries(TARGET_NAMES.map((name) => [name, block(TARGET_OPTIONS[name].shape)])),
};

/** The checked config in `text` (`path` names it in errors). */
export function parseBuildFile(text: string, path: string): BuildFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const where = jsonWhere(text, e);
    throw new CliError(`${path} is not JSON${where ? ` (${where})` : ""}`, 2, e);
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
