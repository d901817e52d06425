// pindai fleet: the same admin protocol over many devices, with an inventory
// file of the enrolled ones (id and public key, pinned: a device that answers
// with another key is refused) and the audit logs pulled from them, each
// page checked against the device's signature before it is kept.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { parse, parseInteger, parseTime, nowSeconds, required } from "../args";
import { CliError } from "../../issuer/errors";
import { DeviceError, type LogRecord } from "../../issuer/device-client";
import { adminKeyOf, csvOf, withDevice } from "./device";
import { MAX_KEYSET_BYTES } from "../../../firmware/core/keyset";
import { fsReason, readBounded, writeOutput } from "../../issuer/files";
import type { Io } from "../cli";

export const fleetHelp = `pindai fleet enroll|pull-logs|set-time|push-keyset|export
             --ports PATH[,PATH...] --inventory FILE [--admin-key FILE] [--timeout MS]

  enroll                   record each device's id and public key in the inventory
  pull-logs [--csv FILE]   pull every enrolled device's audit log into the inventory (signed, checked)
  set-time [--at T]        set each device's clock (default: this computer's time), signed
  push-keyset --keyset F   install a signed key set on each device
  export --csv FILE        write every pulled log record as CSV (no ports needed)

Each port is tried in turn; one line per port says what happened. A device
that is not enrolled, or answers with another key than its enrolled one, is
refused. Exit 0 when every port succeeded, 1 when any failed, 2 usage.`;

export interface Inventory {
  type: "pindai-fleet";
  devices: Record<string, { publicKey: string; port: string; enrolled: number; version?: string }>;
  logs: Record<string, LogRecord[]>;
}

function readInventory(path: string, create: boolean): Inventory {
  if (!existsSync(path)) {
    if (create) return { type: "pindai-fleet", devices: {}, logs: {} };
    throw new CliError(`no inventory at ${path}: run pindai fleet enroll first`);
  }
  let inv: Inventory;
  try {
    inv = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new CliError(`${path} is not a pindai fleet inventory (${(e as Error).message.split("\n")[0]})`);
  }
  if (inv?.type !== "pindai-fleet" || typeof inv.devices !== "object" || typeof inv.logs !== "object") throw new CliError(`${path} is not a pindai fleet inventory`);
  return inv;
}

function writeInventory(path: string, inv: Inventory): void {
  try {
    writeFileSync(path + ".tmp", JSON.stringify(inv, null, 1) + "\n");
    renameSync(path + ".tmp", path); // never a half-written inventory
  } catch (e) {
    throw new CliError(`cannot write ${path}: ${fsReason(e)}`);
  }
}

/** Merge pulled records: one per (seq, time), so pulling twice keeps one copy. */
function mergeLogs(have: LogRecord[], got: LogRecord[]): LogRecord[] {
  const seen = new Set(have.map((r) => `${r.seq}/${r.time}/${r.verdict}`));
  return [...have, ...got.filter((r) => !seen.has(`${r.seq}/${r.time}/${r.verdict}`))];
}

function writeCsv(path: string, inv: Inventory): number {
  const all = Object.values(inv.logs).flat();
  writeOutput(path, csvOf(all), "log export");
  return all.length;
}

export async function fleet(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ports: { type: "string" },
      inventory: { type: "string", short: "i" },
      "admin-key": { type: "string" },
      timeout: { type: "string" },
      at: { type: "string" },
      keyset: { type: "string" },
      csv: { type: "string" },
    },
    true,
  );
  if (values.help) return io.help(fleetHelp);
  const sub = positionals[0];
  const subs = ["enroll", "pull-logs", "set-time", "push-keyset", "export"];
  if (sub === undefined || !subs.includes(sub)) throw new CliError(`${sub ? `unknown subcommand "${sub}"` : "missing subcommand"}: ${subs.join(", ")} (pindai fleet --help)`);
  const invPath = required(values.inventory, "inventory");
  const inv = readInventory(invPath, sub === "enroll");
  if (sub === "export") {
    const n = writeCsv(required(values.csv, "csv"), inv);
    io.out(`wrote ${n} records from ${Object.keys(inv.logs).length} device(s) to ${values.csv}`);
    return 0;
  }
  const ports = required(values.ports, "ports").split(",").filter((p: string) => p !== "");
  if (ports.length === 0) throw new CliError("--ports: give one or more ports, separated by commas");
  const timeoutMs = values.timeout ? parseInteger(values.timeout, "timeout", 100, 600000) : 5000;
  if ((sub === "pull-logs" || sub === "set-time") && values["admin-key"] === undefined) throw new CliError(`${sub} is signed: give --admin-key FILE`);
  const key = adminKeyOf(values["admin-key"]);
  let keysetBytes: Uint8Array | undefined;
  if (sub === "push-keyset") {
    keysetBytes = new Uint8Array(readBounded(required(values.keyset, "keyset"), "key set", MAX_KEYSET_BYTES));
  }
  const at = values.at ? parseTime(values.at, "at") : undefined;

  let failed = 0;
  for (const [i, port] of ports.entries()) {
    const status = await withDevice(port, { key, timeoutMs }, { ...io, err: (l) => io.err(`[${i + 1}/${ports.length}] ${l.replace(/^pindai device: /, "")}`) }, async (c) => {
      const id = await c.identify();
      const known = inv.devices[id.id];
      if (sub === "enroll") {
        if (known && known.publicKey !== id.publicKey) throw new DeviceError("WRONG_DEVICE", `${id.id} is enrolled with another public key`);
        const version = await c.version();
        inv.devices[id.id] = { publicKey: id.publicKey, port, enrolled: nowSeconds(), version };
        io.out(`[${i + 1}/${ports.length}] ${port}: enrolled ${id.id} (${version})`);
        return 0;
      }
      if (!known) {
        io.err(`[${i + 1}/${ports.length}] ${port}: device ${id.id} is not enrolled in ${invPath}`);
        return 1;
      }
      await c.expect(known.publicKey);
      if (sub === "pull-logs") {
        const records = await c.logs((got, last) => io.err(`[${i + 1}/${ports.length}] ${port}: ${got} records (last ${last})`));
        const before = (inv.logs[id.id] ?? []).length;
        inv.logs[id.id] = mergeLogs(inv.logs[id.id] ?? [], records);
        io.out(`[${i + 1}/${ports.length}] ${port}: ${id.id}: ${records.length} records pulled, ${inv.logs[id.id].length - before} new`);
      } else if (sub === "set-time") {
        io.out(`[${i + 1}/${ports.length}] ${port}: ${id.id}: ${await c.setTime(at ?? nowSeconds())}`);
      } else {
        io.out(`[${i + 1}/${ports.length}] ${port}: ${id.id}: ${await c.installKeyset(keysetBytes!)}`);
      }
      return 0;
    });
    if (status !== 0) failed++;
    writeInventory(invPath, inv); // after each device: what was pulled is kept
  }
  if (sub === "pull-logs" && values.csv) io.out(`wrote ${writeCsv(values.csv, inv)} records to ${values.csv}`);
  io.out(failed === 0 ? `${ports.length} device(s) done` : `${failed} of ${ports.length} device(s) failed`);
  return failed === 0 ? 0 : 1;
}
