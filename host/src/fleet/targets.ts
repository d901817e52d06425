// Where devices answer: serial ports and TCP addresses (pindai run
// --admin-listen, pindai sim --devices), given on the command line, kept in
// the fleet database, or read back from a retry list. Every address is
// shape-checked and their number bounded before anything connects.
import { CliError } from "../../issuer/errors";
import { readBoundedText, writeOutput } from "../../issuer/files";
import { clip } from "../args";

export const MAX_TARGETS = 100_000;
const MAX_RETRY_BYTES = 8 * 1024 * 1024;
const HOST = "[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253})|\\[[0-9A-Fa-f:.]{2,45}\\]";

function port(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n < 1 || n > 65535) throw new CliError(`${what}: port ${clip(text)} is not 1 to 65535`);
  return n;
}

/**
 * One address as given: a serial port path, tcp://HOST:PORT, HOST:PORT, or a
 * range of TCP ports tcp://HOST:FIRST-LAST (consecutive devices of pindai sim --devices).
 */
export function expandAddress(text: string, what = "--ports"): string[] {
  const t = text.trim();
  if (t === "") return [];
  if (t.length > 300 || /[\s\0]/.test(t)) throw new CliError(`${what}: "${clip(t)}" is not a port path or an address`);
  const tcp = new RegExp(`^(?:tcp://)?(${HOST}):(\\d+)(?:-(\\d+))?$`).exec(t);
  if (tcp && (t.startsWith("tcp://") || !t.startsWith("/"))) {
    const first = port(tcp[2], what);
    const last = tcp[3] === undefined ? first : port(tcp[3], what);
    if (last < first) throw new CliError(`${what}: the range ${clip(t)} ends before it starts`);
    if (last - first + 1 > MAX_TARGETS) throw new CliError(`${what}: at most ${MAX_TARGETS} devices at once`);
    const out: string[] = [];
    for (let p = first; p <= last; p++) out.push(`tcp://${tcp[1]}:${p}`);
    return out;
  }
  if (t.startsWith("tcp://")) throw new CliError(`${what}: "${clip(t)}" is not tcp://HOST:PORT`);
  if (!t.startsWith("/") && !t.startsWith("./") && !/^COM\d+$/.test(t)) throw new CliError(`${what}: "${clip(t)}" is neither a serial port path (/dev/...) nor HOST:PORT`);
  return [t];
}

/** A comma-separated list of addresses, each expanded and checked; duplicates dropped, order kept. */
export function parseAddresses(list: string, what = "--ports"): string[] {
  const out = new Set<string>();
  for (const part of list.split(",")) {
    for (const a of expandAddress(part, what)) {
      out.add(a);
      if (out.size > MAX_TARGETS) throw new CliError(`${what}: at most ${MAX_TARGETS} devices at once`);
    }
  }
  if (out.size === 0) throw new CliError(`${what}: give one or more ports or addresses, separated by commas`);
  return [...out];
}

/** A retry list: one address per line (then, after a space, the device id if known); # starts a comment. */
export function readRetryList(path: string): string[] {
  const text = readBoundedText(path, "retry list", MAX_RETRY_BYTES);
  if (text.includes("\0")) throw new CliError(`retry list ${path} is not text`);
  const out: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    const [addr, id] = line.split(/\s+/);
    if (id !== undefined && !/^[0-9a-f]{16}$/.test(id)) throw new CliError(`retry list ${path} line ${i + 1}: "${clip(line)}" is not an address and a device id`);
    out.push(...expandAddress(addr, `retry list ${path} line ${i + 1}`));
    if (out.length > MAX_TARGETS) throw new CliError(`retry list ${path}: at most ${MAX_TARGETS} devices at once`);
  }
  if (out.length === 0) throw new CliError(`retry list ${path} names no device`);
  return [...new Set(out)];
}

export function writeRetryList(path: string, failed: { address: string; device?: string; error: string }[], command: string): void {
  const lines = [`# pindai fleet ${command}: ${failed.length} device(s) failed at ${new Date().toISOString()}; run again with --retry ${path}`];
  for (const f of failed) lines.push(`${f.address}${f.device ? " " + f.device : ""}  # ${f.error.replace(/[\r\n#]/g, " ").slice(0, 200)}`);
  writeOutput(path, lines.join("\n") + "\n", "retry list");
}
