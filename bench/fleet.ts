// npm run bench:fleet: the fleet at agency scale, on both engines (PGlite in
// a folder; a PostgreSQL server when PINDAI_BENCH_PG_URL or
// PINDAI_TEST_PG_URL names one, e.g. eval "$(.ci/postgres start)").
//  1. FLEET_DEVICES (1000) simulated devices on TCP (pindai sim --devices, a
//     process of their own), provisioned (enroll + key set + signed time) and
//     their logs pulled with pindai fleet --parallel FLEET_PARALLEL (32):
//     wall time and devices per second.
//  2. FLEET_RECORDS (1,000,000) log records from 1,000 devices over 10 days
//     ingested (multi-row INSERT ... SELECT FROM unnest, as pull-logs and
//     import write): records per second; then fleet logs for one device over
//     a day and for the whole fleet over an hour (median of 5, the query
//     through the store and the whole command with its start-up).
// Not a test: figures for the README. Run it niced on a shared machine.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { main, type Io } from "../host/src/cli";
import { openDb } from "../host/src/fleet/db";
import { FleetStore, INSERT_BATCH } from "../host/src/fleet/store";
import type { LogRecord } from "../host/issuer/device-client";
import { VERDICTS } from "../firmware/core/verdict";
import { freshDatabase } from "../test/support/postgres";

const DEVICES = Number(process.env.FLEET_DEVICES ?? "1000");
const PARALLEL = process.env.FLEET_PARALLEL ?? "32";
const RECORDS = Number(process.env.FLEET_RECORDS ?? "1000000");
const ONLY = process.env.FLEET_PART; // "devices" or "records": one part only
const ENGINE = process.env.FLEET_ENGINE; // "PGlite" or "PostgreSQL": one engine only
const dir = mkdtempSync(join(tmpdir(), "pindai-bench-fleet-"));
process.env.XDG_DATA_HOME = join(dir, "data");
const quiet: Io = { out: () => {}, err: () => {}, help: () => 0 };
const lines: string[] = [];
const say = (l: string) => (console.log(l), lines.push(l));

async function freeBase(n: number): Promise<number> {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 40000);
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      const s = createServer();
      ok = await new Promise<boolean>((r) => (s.once("error", () => r(false)), s.listen(base + i, "127.0.0.1", () => r(true))));
      if (ok) await new Promise((r) => s.close(r));
    }
    if (ok) return base;
  }
}

/** pindai sim --devices N in a process of its own; resolves with it and the agency keys' folder once all listen. */
async function simDevices(n: number): Promise<{ proc: ChildProcess; port: number; keys: string }> {
  const port = await freeBase(n);
  const keys = join(dir, `keys-${port}`);
  const proc = spawn(process.execPath, ["--max-old-space-size=4096", "host/bin/pindai.js", "sim", "--devices", String(n), "--admin-listen", `127.0.0.1:${port}`, "--write-keys", keys], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      if (/simulated device\(s\) on/.test(out)) resolve();
    });
    proc.once("exit", (c) => reject(new Error(`pindai sim exited ${c}: ${out}`)));
  });
  return { proc, port, keys };
}

async function timed(args: string[]): Promise<number> {
  const t0 = performance.now();
  const code = await main(args, quiet);
  const s = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`pindai ${args.join(" ")} exited ${code}`);
  return s;
}

async function benchDevices(engine: string, db: string): Promise<void> {
  const sim = await simDevices(DEVICES);
  try {
    const range = `tcp://127.0.0.1:${sim.port}-${sim.port + DEVICES - 1}`;
    await timed(["fleet", "list", "--db", db]); // the database made (PGlite's initdb) before the clock starts
    const common = ["--db", db, "--parallel", PARALLEL, "--timeout", "30000", "--admin-key", join(sim.keys, "admin.json")];
    const prov = await timed(["fleet", "provision", "--ports", range, "--keyset", join(sim.keys, "keyset.cbor"), ...common]);
    const pull = await timed(["fleet", "pull-logs", ...common]);
    say(`| ${engine} | ${DEVICES} devices, --parallel ${PARALLEL} | provision ${prov.toFixed(1)} s (${(DEVICES / prov).toFixed(1)} devices/s) | pull-logs ${pull.toFixed(1)} s (${(DEVICES / pull).toFixed(1)} devices/s) |`);
  } finally {
    sim.proc.kill("SIGTERM");
  }
}

function hex(n: number): string {
  return randomBytes(n).toString("hex");
}

async function benchRecords(engine: string, spec: string): Promise<void> {
  const db = await openDb(spec);
  const store = new FleetStore(db);
  const devices = Array.from({ length: 1000 }, () => hex(8));
  for (const id of devices) await store.enroll({ id, publicKey: hex(32), address: null, firmware: "bench" });
  const start = 1_790_000_000;
  const span = 10 * 86400;
  const perDevice = Math.ceil(RECORDS / devices.length);
  const kid = hex(8);
  let spent = 0; // only the database's part: making the records is not ingest
  const ingest = async (b: LogRecord[]) => {
    const a = performance.now();
    await store.ingest(b);
    spent += performance.now() - a;
  };
  let n = 0;
  const batch: LogRecord[] = [];
  // Records arrive as pulls do: a device at a time, its records in order.
  for (let d = 0; d < devices.length && n < RECORDS; d++) {
    for (let s = 0; s < perDevice && n < RECORDS; s++, n++) {
      batch.push({ device: devices[d], seq: s, time: start + Math.floor((s * span) / perDevice), verdict: VERDICTS[s % 50 === 0 ? 6 : 0], source: "qr", kid, nikHash: hex(8), warnings: s % 7 === 0 ? 4 : 0 });
      if (batch.length === INSERT_BATCH * 4) await ingest(batch.splice(0));
    }
  }
  if (batch.length) await ingest(batch.splice(0));
  const s = spent / 1000;
  say(`| ${engine} | ingest ${n.toLocaleString("en")} records | ${s.toFixed(1)} s | ${Math.round(n / s).toLocaleString("en")} records/s |`);
  await db.exec("ANALYZE log_records");
  const median = async (fn: () => Promise<unknown>) => {
    const t: number[] = [];
    for (let i = 0; i < 5; i++) {
      const a = performance.now();
      await fn();
      t.push(performance.now() - a);
    }
    return t.sort((x, y) => x - y)[2];
  };
  const day = { devices: [devices[500]], since: start + 5 * 86400, until: start + 6 * 86400 };
  const hour = { since: start + 5 * 86400, until: start + 5 * 86400 + 3600 };
  const oneDay = (await store.logs(day)).length;
  const oneHour = (await store.logs(hour)).length;
  const qDay = await median(() => store.logs(day));
  const qHour = await median(() => store.logs(hour));
  const plan = await db.query<{ "QUERY PLAN": string }>(`EXPLAIN SELECT * FROM log_records WHERE device_id = ANY($1::text[]) AND at >= to_timestamp($2) AND at < to_timestamp($3) ORDER BY at, device_id, seq`, [day.devices, day.since, day.until]);
  await db.close();
  const cli = (a: string[]) => median(() => timed(["fleet", "logs", "--db", spec, "--json", ...a]).then(() => 0));
  const cDay = await cli(["--device", devices[500], "--since", String(day.since), "--until", String(day.until)]);
  const cHour = await cli(["--since", String(hour.since), "--until", String(hour.until)]);
  say(`| ${engine} | fleet logs, one device over a day (${oneDay} records) | query ${qDay.toFixed(1)} ms | command ${cDay.toFixed(0)} ms |`);
  say(`| ${engine} | fleet logs, whole fleet over an hour (${oneHour} records) | query ${qHour.toFixed(1)} ms | command ${cHour.toFixed(0)} ms |`);
  say(`  (${engine} plan for one device over a day: ${plan.map((p) => p["QUERY PLAN"].trim()).find((p) => /Index|Scan/.test(p)) ?? "?"})`);
}

const server = process.env.PINDAI_BENCH_PG_URL ?? process.env.PINDAI_TEST_PG_URL;
const engines: [string, () => Promise<string>][] = [["PGlite", async () => join(dir, `pglite-${Math.random().toString(36).slice(2)}`)]];
if (server) {
  engines.push(["PostgreSQL 15", async () => (await freshDatabase(server, "bench")).url]);
} else console.log("*** no PostgreSQL server (PINDAI_BENCH_PG_URL or PINDAI_TEST_PG_URL): PGlite only ***");

console.log(`fleet benchmark: ${DEVICES} devices --parallel ${PARALLEL}, ${RECORDS.toLocaleString("en")} records`);
try {
  for (const [name, make] of engines.filter(([n]) => ENGINE === undefined || n.startsWith(ENGINE))) {
    if (ONLY !== "records") await benchDevices(name, await make());
    if (ONLY !== "devices") await benchRecords(name, await make());
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log("\n" + lines.join("\n"));
process.exit(0);
