// Small argument helpers shared by the commands: every bad value is a
// CliError with a message that names the option.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError } from "../issuer/errors";
import { isDate } from "../../firmware/core/claims";

export type Options = NonNullable<ParseArgsConfig["options"]>;

// Values stay loosely typed: each command reads the options it declared.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Parsed { values: Record<string, any>; positionals: string[] }

/**
 * Environment variables that stand in for an option a command takes when it
 * is not given (pindai --help): the port and the admin key an agency uses all
 * day, and the fleet's database.
 */
export const ENV_OPTIONS: Record<string, string> = { port: "PINDAI_PORT", "admin-key": "PINDAI_ADMIN_KEY", db: "PINDAI_DB" };

export function parse(argv: string[], options: Options, allowPositionals = false): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" }, ...options }, allowPositionals, strict: true });
  } catch (e) {
    throw new CliError(parseErrorSentence(argv, (e as Error).message));
  }
  for (const [option, name] of Object.entries(ENV_OPTIONS)) {
    const env = process.env[name];
    if (option in options && parsed.values[option] === undefined && env !== undefined && env !== "") parsed.values[option] = env;
  }
  return parsed;
}

/** Colour only on a terminal, and never with NO_COLOR set (https://no-color.org). */
export function colorFor(stream: { isTTY?: boolean }): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}

/** node:util parseArgs messages, as one plain sentence with the fix. */
function parseErrorSentence(argv: string[], message: string): string {
  const ambiguous = /^Option '(-[^' ]+)' argument is ambiguous/.exec(message);
  if (ambiguous) {
    const i = argv.indexOf(ambiguous[1]);
    const value = i >= 0 && i + 1 < argv.length ? argv[i + 1] : "-VALUE";
    return `${ambiguous[1]}: a value that starts with "-" is written ${ambiguous[1]}=${value}`;
  }
  const missing = /^Option '(-[^' ]+)(?: <value>)?' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value`;
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]} (--help lists the options)`;
  const positional = /^Unexpected argument '([^']*)'/.exec(message);
  if (positional) return `unexpected argument "${positional[1]}" (--help lists the options)`;
  const noValue = /^Option '([^']+)' does not take an argument/.exec(message);
  if (noValue) return `${noValue[1]} takes no value`;
  return message.split("\n")[0];
}

export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === "") throw new CliError(`missing --${name}`);
  return value;
}

/**
 * Times the tools accept: from 2000-01-01 to 2106-02-07 (the last second a
 * device's 32-bit unsigned time holds). Anything else is a typo.
 */
export const MIN_TIME = 946684800;
export const MAX_TIME = 4294967295;

/** Unix seconds from "1700000000" or an ISO date/time ("2026-11-23T10:00:00Z"), within MIN_TIME..MAX_TIME. */
export function parseTime(text: string, name: string): number {
  let t: number;
  if (/^\d{1,20}$/.test(text)) t = Number(text);
  else if (/^-\d+$/.test(text) || !isDate(text.slice(0, 10)) || Number.isNaN(Date.parse(text))) {
    throw new CliError(`--${name}: expected unix seconds or an ISO date (2026-11-23 or 2026-11-23T10:00:00Z), got "${clip(text)}"`);
  } else t = Math.floor(Date.parse(text) / 1000);
  if (!(t >= MIN_TIME && t <= MAX_TIME)) {
    throw new CliError(`--${name}: ${clip(text)} is outside the years 2000 to 2106 (unix seconds ${MIN_TIME} to ${MAX_TIME})`);
  }
  return t;
}

/** A value quoted in an error, cut so that a 400-digit typo stays one readable line. */
export function clip(text: string): string {
  return text.length > 40 ? text.slice(0, 37) + "..." : text;
}

export function parseInteger(text: string, name: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new CliError(`--${name}: expected a whole number, got "${clip(text)}"`);
  const n = Number(text);
  if (n < min || n > max) throw new CliError(`--${name}: must be between ${min} and ${max}`);
  return n;
}

export function parseHex(text: string, name: string, lengths?: number[]): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new CliError(`--${name}: expected hex, got "${clip(text)}"`);
  const b = new Uint8Array(Buffer.from(text, "hex"));
  if (lengths && !lengths.includes(b.length)) {
    throw new CliError(`--${name}: expected ${lengths.join(" or ")} bytes, got ${b.length}`);
  }
  return b;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
