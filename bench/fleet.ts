// npm run bench:fleet: the fleet at agency scale, on both engines (PGlite in
// a folder; a PostgreSQL server when PINDAI_BENCH_PG_URL or
// PINDAI_TEST_PG_URL names one, e.g. eval "$(.ci/postgres start)").
//  1. FLEET_DEVICES (1000) simulated devices on TCP (pindai sim --devices, a
//     process of their own), provisioned (enroll + key set + signed time,
//     with the agency's root: a new device's clock is not trusted) and their
//     logs pulled with pindai fleet --parallel FLEET_PARALLEL (32): wall time
//     and devices per second, and the CPU seconds of the simulator, of the
//     fleet command and of the database server (when it is on this machine).
//  2. FLEET_RECORDS log records (PostgreSQL 10,000,000; PGlite
//     FLEET_PGLITE_RECORDS, 1,000,000) from 1,000 devices over 10 days,
//     ingested as pull-logs and import write them (FleetStore.ingest: one
//     INSERT ... SELECT FROM unnest ... ON CONFLICT DO NOTHING per 5,000, a
//     transaction per 20,000), FLEET_STREAMS (PostgreSQL 4: the pool's
//     connections, as pull-logs --parallel writes; PGlite 1) at once:
//     records per second over the whole run (FLEET_ORDER: daily, as
//     daily pulls bring them, or device, each device's 10 days at once); then fleet logs for one device
//     over a day and for the whole fleet over an hour (median of 5, the
//     query through the store and the whole command with its start-up).
//     The data is dropped after.
// Not a test: figures for the README. Run it niced on a shared machine; each
// figure is printed with the load average it was measured at.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { main, type Io } from "../host/src/cli";
import { openDb } from "../host/src/fleet/db";
import { FleetStore, INSERT_BATCH } from "../host/src/fleet/store";
import { SERVER_CONNECTIONS } from "../host/src/fleet/db";
import type { LogRecord } from "../host/issuer/device-client";
import { VERDICTS } from "../firmware/core/verdict";
import { freshDatabase } from "../test/support/postgres";

const DEVICES = Number(process.env.FLEET_DEVICES ?? "1000");
const PARALLEL = process.env.FLEET_PARALLEL ?? "32";
const RECORDS = (engine: string) => Number((engine === "PGlite" ? process.env.FLEET_PGLITE_RECORDS : process.env.FLEET_RECORDS) ?? (engine === "PGlite" ? "1000000" : "10000000"));
const STREAMS = (engine: string) => Number(process.env.FLEET_STREAMS ?? (engine === "PGlite" ? "1" : String(SERVER_CONNECTIONS)));
const ORDER = process.env.FLEET_ORDER ?? "daily";
const ONLY = process.env.FLEET_PART; // "devices" or "records": one part only
const ENGINE = process.env.FLEET_ENGINE; // "PGlite" or "PostgreSQL": one engine only
const dir = mkdtempSync(join(tmpdir(), "pindai-bench-fleet-"));
process.env.XDG_DATA_HOME = join(dir, "data");
const quiet: Io = { out: () => {}, err: () => {}, help: () => 0 };
const lines: string[] = [];
const say = (l: string) => (console.log(l), lines.push(l));
const load = () => `load ${loadavg()[0].toFixed(1)}`;

/** CPU seconds used so far by a process (Linux /proc; user + system, and its reaped children's). */
function cpuOf(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds of a PostgreSQL server on this machine (its postmaster and every backend), NaN when it is elsewhere. */
function serverCpu(engine: string): number {
  if (engine === "PGlite") return NaN; // PostgreSQL runs inside this process: its CPU is pindai's
  const dataDir = process.env.PINDAI_TEST_PG_DIR && join(process.env.PINDAI_TEST_PG_DIR, "data");
  if (!dataDir) return NaN;
  try {
    const pm = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    let s = cpuOf(pm);
    for (const p of readdirSync("/proc")) if (/^\d+$/.test(p) && parentOf(p) === pm) s += cpuOf(Number(p));
    return s;
  } catch {
    return NaN;
  }
}
function parentOf(pid: string): number {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[1]);
  } catch {
    return 0;
  }
}
/** The server's CPU for the records: what one core of its own would ingest. */
const serverLine = (s: number, n: number) => (Number.isNaN(s) ? "server CPU: in this process (PGlite) or not on this machine" : `server CPU ${s.toFixed(1)} s = ${Math.round(n / s).toLocaleString("en")} records per CPU-second`);
const cpu = (s: number) => (Number.isNaN(s) ? "?" : s.toFixed(1));

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

/** The command's wall time; a failure says why (its first error lines). */
async function timed(args: string[]): Promise<number> {
  const errors: string[] = [];
  const t0 = performance.now();
  const code = await main(args, { ...quiet, err: (l: string) => void (errors.length < 6 && errors.push(l)) });
  const s = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`pindai ${args.join(" ")} exited ${code}:\n${errors.join("\n")}`);
  return s;
}

async function benchDevices(engine: string, db: string): Promise<void> {
  const sim = await simDevices(DEVICES);
  try {
    const range = `tcp://127.0.0.1:${sim.port}-${sim.port + DEVICES - 1}`;
    await timed(["fleet", "list", "--db", db]); // the database made (PGlite's initdb) before the clock starts
    const common = ["--db", db, "--parallel", PARALLEL, "--timeout", "30000"];
    // CPU seconds of the simulated devices, of this process (the fleet command runs in it) and of the server.
    const measure = async (args: string[]) => {
      const before = { sim: cpuOf(sim.proc.pid), host: process.cpuUsage(), server: serverCpu(engine), load: load() };
      const wall = await timed(args);
      const host = process.cpuUsage(before.host);
      return { wall, load: before.load, cpu: `CPU: devices ${cpu(cpuOf(sim.proc.pid) - before.sim)} s, pindai ${cpu((host.user + host.system) / 1e6)} s, server ${engine === "PGlite" ? "in pindai" : cpu(serverCpu(engine) - before.server) + " s"}` };
    };
    const prov = await measure(["fleet", "provision", "--ports", range, "--keyset", join(sim.keys, "keyset.cbor"), "--admin-key", join(sim.keys, "root.json"), ...common]);
    const pull = await measure(["fleet", "pull-logs", "--admin-key", join(sim.keys, "admin.json"), ...common]);
    say(`| ${engine} | provision ${DEVICES} devices, --parallel ${PARALLEL} | ${prov.wall.toFixed(1)} s (${(DEVICES / prov.wall).toFixed(1)} devices/s) | ${prov.load} | ${prov.cpu} |`);
    say(`| ${engine} | pull-logs ${DEVICES} devices, --parallel ${PARALLEL} | ${pull.wall.toFixed(1)} s (${(DEVICES / pull.wall).toFixed(1)} devices/s) | ${pull.load} | ${pull.cpu} |`);
  } finally {
    sim.proc.kill("SIGTERM");
  }
}

function hex(n: number): string {
  return randomBytes(n).toString("hex");
}

async function benchRecords(engine: string, spec: string): Promise<void> {
  const records = RECORDS(engine);
  const streams = STREAMS(engine);
  const db = await openDb(spec);
  const store = new FleetStore(db);
  const devices = Array.from({ length: 1000 }, () => hex(8));
  for (const id of devices) await store.enroll({ id, publicKey: hex(32), address: null, firmware: "bench" });
  const start = 1_790_000_000;
  const span = 10 * 86400;
  const perDevice = Math.ceil(records / devices.length);
  const kid = hex(8);
  // Up to `streams` transactions in flight (each on a connection of its own on a server), as pull-logs --parallel writes.
  const inFlight = new Set<Promise<unknown>>();
  const ingest = async (b: LogRecord[]) => {
    while (inFlight.size >= streams) await Promise.race(inFlight);
    const p = store.ingest(b).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const l0 = load();
  const server0 = serverCpu(engine);
  const t0 = performance.now();
  let n = 0;
  let batch: LogRecord[] = [];
  // Records arrive as an agency's daily pull-logs brings them (FLEET_ORDER=daily):
  // each day, every device's records of that day, in order. FLEET_ORDER=device:
  // each device's whole 10 days at once (the table's order then says nothing of time).
  const days = ORDER === "device" ? 1 : 10;
  const perDay = Math.ceil(perDevice / days);
  for (let day = 0; day < days && n < records; day++) {
    for (let d = 0; d < devices.length && n < records; d++) {
      for (let s = day * perDay; s < Math.min(perDevice, (day + 1) * perDay) && n < records; s++, n++) {
        batch.push({ device: devices[d], seq: s, time: start + Math.floor((s * span) / perDevice), verdict: VERDICTS[s % 50 === 0 ? 6 : 0], source: "qr", kid, nikHash: hex(8), warnings: s % 7 === 0 ? 4 : 0 });
        if (batch.length === INSERT_BATCH * 4) {
          await ingest(batch);
          batch = [];
        }
      }
    }
  }
  if (batch.length) await ingest(batch);
  await Promise.all(inFlight);
  const s = (performance.now() - t0) / 1000;
  const [{ bytes }] = await db.query<{ bytes: number }>(`SELECT pg_total_relation_size('log_records')::float8 AS bytes`);
  say(`| ${engine} | ingest ${n.toLocaleString("en")} records (${ORDER} order), ${streams} stream(s) | ${s.toFixed(1)} s | ${Math.round(n / s).toLocaleString("en")} records/s | ${l0}, at the end ${load()} | ${serverLine(serverCpu(engine) - server0, n)} | table and indexes ${(bytes / 2 ** 30).toFixed(2)} GiB |`);
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
  const planHour = await db.query<{ "QUERY PLAN": string }>(`EXPLAIN SELECT * FROM log_records WHERE at >= to_timestamp($1) AND at < to_timestamp($2) ORDER BY at, device_id, seq`, [hour.since, hour.until]);
  await db.close();
  const cli = (a: string[]) => median(() => timed(["fleet", "logs", "--db", spec, "--json", ...a]).then(() => 0));
  const cDay = await cli(["--device", devices[500], "--since", String(day.since), "--until", String(day.until)]);
  const cHour = await cli(["--since", String(hour.since), "--until", String(hour.until)]);
  say(`| ${engine} | fleet logs, one device over a day (${oneDay} records) | query ${qDay.toFixed(1)} ms | command ${cDay.toFixed(0)} ms |`);
  say(`| ${engine} | fleet logs, whole fleet over an hour (${oneHour} records) | query ${qHour.toFixed(1)} ms | command ${cHour.toFixed(0)} ms |`);
  say(`  (${engine} plan for one device over a day: ${plan.map((p) => p["QUERY PLAN"].trim()).find((p) => /Index|Scan/.test(p)) ?? "?"}; whole fleet over an hour: ${planHour.map((p) => p["QUERY PLAN"].trim()).find((p) => /Index|Scan/.test(p)) ?? "?"})`);
}

const server = process.env.PINDAI_BENCH_PG_URL ?? process.env.PINDAI_TEST_PG_URL;
/** Each part on a database of its own, dropped after (10 M records are a few GB). */
type Fresh = () => Promise<{ spec: string; drop(): Promise<void> }>;
const engines: [string, Fresh][] = [
  [
    "PGlite",
    async () => {
      const spec = join(dir, `pglite-${Math.random().toString(36).slice(2)}`);
      return { spec, drop: async () => rmSync(spec, { recursive: true, force: true }) };
    },
  ],
];
if (server) {
  engines.push(["PostgreSQL 15", async () => freshDatabase(server, "bench").then((f) => ({ spec: f.url, drop: f.drop }))]);
} else console.log("*** no PostgreSQL server (PINDAI_BENCH_PG_URL or PINDAI_TEST_PG_URL): PGlite only ***");

const on = async (make: Fresh, part: (spec: string) => Promise<void>) => {
  const f = await make();
  try {
    await part(f.spec);
  } finally {
    await f.drop();
  }
};
console.log(`fleet benchmark: ${DEVICES} devices --parallel ${PARALLEL}; records: PostgreSQL ${RECORDS("PostgreSQL").toLocaleString("en")}, PGlite ${RECORDS("PGlite").toLocaleString("en")}`);
try {
  for (const [name, make] of engines.filter(([n]) => ENGINE === undefined || n.startsWith(ENGINE))) {
    if (ONLY !== "records") await on(make, (spec) => benchDevices(name, spec));
    if (ONLY !== "devices") await on(make, (spec) => benchRecords(name, spec));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log("\n" + lines.join("\n"));
process.exit(0);
