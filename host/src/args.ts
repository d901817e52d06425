// Small argument helpers shared by the commands: every bad value is a
// CliError with a message that names the option.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError } from "./errors";

export type Options = NonNullable<ParseArgsConfig["options"]>;

// Values stay loosely typed: each command reads the options it declared.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Parsed { values: Record<string, any>; positionals: string[] }

export function parse(argv: string[], options: Options, allowPositionals = false): Parsed {
  try {
    return parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" }, ...options }, allowPositionals, strict: true });
  } catch (e) {
    throw new CliError((e as Error).message.split("\n")[0]);
  }
}

export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === "") throw new CliError(`missing --${name}`);
  return value;
}

/** Unix seconds from "1700000000" or an ISO date/time ("2026-11-23T10:00:00Z"). */
export function parseTime(text: string, name: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new CliError(`--${name}: expected unix seconds or an ISO date, got "${text}"`);
  return Math.floor(ms / 1000);
}

export function parseInteger(text: string, name: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new CliError(`--${name}: expected a whole number, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new CliError(`--${name}: must be between ${min} and ${max}`);
  return n;
}

export function parseHex(text: string, name: string, lengths?: number[]): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new CliError(`--${name}: expected hex, got "${text}"`);
  const b = new Uint8Array(Buffer.from(text, "hex"));
  if (lengths && !lengths.includes(b.length)) {
    throw new CliError(`--${name}: expected ${lengths.join(" or ")} bytes, got ${b.length}`);
  }
  return b;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
