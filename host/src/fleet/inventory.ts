// pindai fleet import: the JSON inventory of earlier versions, into the
// database. Read with a bound (a regular file only: /dev/zero, /dev/urandom
// and a FIFO are refused before a byte is read), and every device and record
// shape-checked before anything is written: one bad entry refuses the file,
// naming the entry.
import { kidOf } from "../../../firmware/core/sha256";
import { VERDICTS } from "../../../firmware/core/verdict";
import { SOURCE_NAMES } from "../../../firmware/app/audit-log";
import { CliError } from "../../issuer/errors";
import { readBounded } from "../../issuer/files";
import type { LogRecord } from "../../issuer/device-client";
import { hex, unhex } from "../../issuer/keyfile";
import { clip, MAX_TIME, MIN_TIME } from "../args";

/** 200 MB: far below V8's string limit; a larger inventory is the reason this database exists. */
export const MAX_INVENTORY_BYTES = 200 * 1024 * 1024;
const MAX_DEVICES = 100_000;

export interface ImportedDevice {
  id: string;
  publicKey: string;
  address: string | null;
  enrolled: number | undefined;
  firmware: string | null;
}

export interface Inventory {
  devices: ImportedDevice[];
  records: LogRecord[];
}

const HEX16 = /^[0-9a-f]{16}$/;
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const isUint = (x: unknown, max: number): x is number => typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= max;

export function readInventory(path: string): Inventory {
  const bytes = readBounded(path, "inventory", MAX_INVENTORY_BYTES);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new CliError(`${path} is not a pindai fleet inventory: not JSON (${(e as Error).message.split("\n")[0]})`);
  }
  const bad = (where: string, why: string) => new CliError(`${path} is not a valid inventory: ${where}: ${why}`);
  if (!isObject(doc) || doc.type !== "pindai-fleet") throw new CliError(`${path} is not a pindai fleet inventory (no "type": "pindai-fleet")`);
  if (!isObject(doc.devices)) throw bad("devices", "not an object of devices by id");
  const logs = doc.logs === undefined ? {} : doc.logs;
  if (!isObject(logs)) throw bad("logs", "not an object of records by device id");
  const ids = Object.keys(doc.devices);
  if (ids.length === 0) throw new CliError(`${path} names no device: nothing to import`);
  if (ids.length > MAX_DEVICES) throw bad("devices", `more than ${MAX_DEVICES}`);
  const devices: ImportedDevice[] = [];
  for (const id of ids) {
    const d = doc.devices[id];
    const where = `devices["${clip(id)}"]`;
    if (!HEX16.test(id)) throw bad(where, "the id is not 16 lowercase hex digits");
    if (!isObject(d)) throw bad(where, "not an object");
    if (typeof d.publicKey !== "string" || !/^[0-9a-f]{64}$/.test(d.publicKey)) throw bad(where, "publicKey is not 64 lowercase hex digits");
    if (hex(kidOf(unhex(d.publicKey))) !== id) throw bad(where, "the id is not the kid of its public key");
    if (d.port !== undefined && (typeof d.port !== "string" || d.port.length > 300)) throw bad(where, "port is not a path");
    if (d.enrolled !== undefined && !(isUint(d.enrolled, MAX_TIME) && d.enrolled >= MIN_TIME)) throw bad(where, "enrolled is not a time in unix seconds");
    if (d.version !== undefined && (typeof d.version !== "string" || d.version.length > 100)) throw bad(where, "version is not a short text");
    devices.push({ id, publicKey: d.publicKey, address: (d.port as string | undefined) ?? null, enrolled: d.enrolled as number | undefined, firmware: (d.version as string | undefined) ?? null });
  }
  const records: LogRecord[] = [];
  for (const id of Object.keys(logs)) {
    const list = logs[id];
    if (!(id in doc.devices)) throw bad(`logs["${clip(id)}"]`, "records of a device that is not in devices");
    if (!Array.isArray(list)) throw bad(`logs["${id}"]`, "not a list of records");
    list.forEach((r: unknown, i: number) => records.push(checkRecord(r, id, (why) => bad(`logs["${id}"][${i}]`, why))));
  }
  return { devices, records };
}

function checkRecord(r: unknown, device: string, bad: (why: string) => Error): LogRecord {
  if (!isObject(r)) throw bad("not an object");
  if (r.device !== undefined && r.device !== device) throw bad(`device ${clip(String(r.device))} is not ${device}`);
  if (!isUint(r.seq, 2 ** 32)) throw bad("seq is not a whole number");
  if (!isUint(r.time, MAX_TIME)) throw bad("time is not unix seconds");
  if (typeof r.verdict !== "string" || !VERDICTS.includes(r.verdict as never)) throw bad(`verdict ${clip(String(r.verdict))} is not a verdict`);
  if (typeof r.source !== "string" || !SOURCE_NAMES.includes(r.source)) throw bad(`source ${clip(String(r.source))} is not one of ${SOURCE_NAMES.join(", ")}`);
  if (typeof r.kid !== "string" || !HEX16.test(r.kid)) throw bad("kid is not 16 hex digits");
  if (typeof r.nikHash !== "string" || !HEX16.test(r.nikHash)) throw bad("nikHash is not 16 hex digits");
  if (!isUint(r.warnings, 255)) throw bad("warnings is not a bit set");
  return { device, seq: r.seq, time: r.time, verdict: r.verdict, source: r.source, kid: r.kid, nikHash: r.nikHash, warnings: r.warnings };
}
