// pindai fleet on both engines (PGlite in a folder, and a PostgreSQL server
// when PINDAI_TEST_PG_URL names one): simulated devices with their admin
// line on TCP (sim/fleet.ts, the admin server of pindai run), driven through
// the real CLI. The same commands, the same results, on both.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimFleet, type SimFleet } from "../sim/fleet";
import { Phone, tamper } from "../sim/phone";
import { HOLDER } from "../sim/world";
import { newKey, writeKeyFile, hex } from "../host/issuer/keyfile";
import { openDb } from "../host/src/fleet/db";
import { FleetStore } from "../host/src/fleet/store";
import { CSV_COLUMNS } from "../host/src/fleet/report";
import { runCli } from "./support/cli";
import { freshDatabase, serverUrl } from "./support/postgres";

const dir = mkdtempSync(join(tmpdir(), "pindai-fleet-"));
process.env.XDG_DATA_HOME = join(dir, "data"); // the default retry list lands here, never in the user's home
const SERVER = serverUrl();

/** A TCP port where nothing listens (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const engines: [string, boolean][] = [
  ["PGlite (embedded)", true],
  ["PostgreSQL server", SERVER !== undefined],
];

describe.each(engines)("pindai fleet on %s", (engine, available) => {
  let fleet: SimFleet;
  let db = "";
  let drop = async () => {};
  let ports = "";
  const tag = engine.startsWith("PGlite") ? "pglite" : "pg";
  const admin = join(dir, `${tag}-admin.json`);
  const root = join(dir, `${tag}-root.json`);
  const keyset = join(dir, `${tag}-keyset.cbor`);
  const cli = (...a: string[]) => runCli("fleet", ...a, "--db", db);
  const ids = () => fleet.devices.map((d) => hex(d.app.identity.id));

  beforeAll(async () => {
    if (!available) return;
    fleet = await startSimFleet({ count: 3, host: "127.0.0.1", port: 0, buildTime: 1_767_225_600 });
    ports = fleet.ports.map((p) => `tcp://127.0.0.1:${p}`).join(",");
    const now = Math.floor(Date.now() / 1000);
    writeKeyFile(admin, newKey(["admin"], now - 86400, now + 365 * 86400, new Uint8Array(fleet.world.adminKey.secretKey)));
    // A new device's clock is not trusted: only a root may set it (issue 21 finding 11), so provisioning signs with the root.
    writeKeyFile(root, newKey(["root"], now - 86400, now + 365 * 86400, new Uint8Array(fleet.world.rootKey.secretKey)));
    writeFileSync(keyset, fleet.world.keysetBytes);
    if (engine.startsWith("PGlite")) db = join(dir, "pglite-db");
    else ({ url: db, drop } = await freshDatabase(SERVER!, "fleet"));
  }, 120_000);

  afterAll(async () => {
    await fleet?.close();
    await drop();
  });

  it.skipIf(!available)("a dry run changes nothing; set-time before the key set fails with a hint; provision does the three steps in the order that works", async () => {
    const dry = await cli("provision", "--ports", ports, "--admin-key", root, "--keyset", keyset, "--dry-run");
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toMatch(/would install key set v1, would set the clock/);
    expect(fleet.devices.every((d) => d.app.keysets.current === undefined)).toBe(true);
    expect(JSON.parse((await cli("list", "--json")).out)).toEqual([]); // nothing enrolled by a dry run

    const en = await cli("enroll", "--ports", fleet.ports.slice(0, 1).map((p) => `tcp://127.0.0.1:${p}`).join(","));
    expect(en.code, en.err).toBe(0);
    const early = await cli("set-time", "--device", ids()[0], "--admin-key", admin, "--retry-out", join(dir, "retry-early.txt"));
    expect(early.code).toBe(1);
    expect(early.err).toMatch(/UNKNOWN_KEY/);
    expect(early.err).toMatch(/hint: .*push the key set that lists it first/);

    const p = await cli("provision", "--ports", ports, "--admin-key", root, "--keyset", keyset, "--label", "north", "--location", "Gate 1", "--json");
    expect(p.code, p.err).toBe(0);
    const r = JSON.parse(p.out);
    expect(r).toMatchObject({ command: "provision", done: 3, failed: 0 });
    expect(r.results.map((x: { device: string }) => x.device).sort()).toEqual(ids().sort());
    // Confirmed by each device's signed STATUS, and what the database now says.
    const list = JSON.parse((await cli("list", "--json")).out);
    expect(list).toHaveLength(3);
    for (const d of list) expect(d).toMatchObject({ label: "north", location: "Gate 1", keysetVersion: 1, clockTrusted: true, firmware: "sim", revokedAt: null });
    expect(Math.abs(list[0].clockDrift)).toBeLessThanOrEqual(2);
    expect(list[0].keysetStaleAt).toBeGreaterThan(Date.now() / 1000); // the date it goes stale, from the key set
  }, 120_000);

  it.skipIf(!available)("pull-logs keeps one copy per (device, seq), each signed page as evidence; fleet logs filters and writes the documented CSV", async () => {
    const phone = new Phone(fleet.world.qrSigner, HOLDER, () => Math.floor(Date.now() / 1000));
    fleet.devices[1].scan(phone.current());
    fleet.devices[1].clear();
    fleet.devices[1].scan(phone.current()); // the same code again: OK with ALREADY_USED (replay policy warn)
    const first = await cli("pull-logs", "--label", "north", "--admin-key", admin);
    expect(first.code, first.err).toBe(0);
    const again = await cli("pull-logs", "--label", "north", "--admin-key", admin, "--json");
    expect(JSON.parse(again.out).results.map((x: { data: { added: number } }) => x.data.added)).toEqual([0, 0, 0]);

    const csvPath = join(dir, `${tag}-logs.csv`);
    const csv = await cli("logs", "--device", ids()[1], "--csv", csvPath);
    expect(csv.code, csv.err).toBe(0);
    const rows = readFileSync(csvPath, "utf8").trim().split("\n");
    expect(rows[0]).toBe(CSV_COLUMNS.join(","));
    expect(rows[0]).toBe("device,label,seq,time,time_utc,verdict,warnings,source,kid,nik_hash,detail");
    const cells = rows.slice(1).map((r) => r.split(","));
    expect(cells.map((c) => `${c[5]} ${c[6]} ${c[7]}`)).toEqual(["OK  time", "OK  qr", "OK ALREADY_USED qr"]);
    expect(cells[0][9]).toBe(""); // a TIME record has no NIK hash: its detail is the clock before
    expect(cells[0][10]).toMatch(/^clock_before=1970-01-01T/);
    expect(cells[1][9]).toMatch(/^[0-9a-f]{16}$/);
    expect(cells.every((c) => c[1] === "north")).toBe(true);

    const only = JSON.parse((await cli("logs", "--verdict", "OK", "--since", String(Math.floor(Date.now() / 1000) - 3600), "--json")).out);
    expect(only).toHaveLength(5); // three TIME records and two scans
    expect(only.find((r: { warnings: string[] }) => r.warnings.length > 0).warnings).toEqual(["ALREADY_USED"]);
    expect(JSON.parse((await cli("logs", "--verdict", "BAD_SIGNATURE", "--json")).out)).toEqual([]);
    expect((await cli("logs", "--until", "2001-01-01", "--json")).out).toBe("[]");

    const v = await cli("verify-logs");
    expect(v.code, v.err).toBe(0);
    expect(v.out).toMatch(/3 signed page\(s\), 5 record\(s\) checked against the device keys: all verify/);
  }, 120_000);

  it.skipIf(!available)("fleet status: a burst of BAD_SIGNATURE on one device is flagged as someone trying forgeries", async () => {
    const phone = new Phone(fleet.world.qrSigner, HOLDER, () => Math.floor(Date.now() / 1000));
    for (let i = 0; i < 25; i++) {
      fleet.devices[2].scan(tamper(phone.refresh()));
      fleet.devices[2].clear();
    }
    expect((await cli("pull-logs", "--device", ids()[2], "--admin-key", admin)).code).toBe(0);
    const st = await cli("status", "--json");
    const att = JSON.parse(st.out).attention;
    expect(att).toHaveLength(1);
    expect(att[0].device).toBe(ids()[2]);
    expect(att[0].attention.join(";")).toMatch(/25 forgeries .* someone is trying forgeries/);
    expect((await cli("status", "--burst", "30", "--json")).out).toMatch(/"attention":\[\]/);
  }, 120_000);

  it.skipIf(!available)("a record edited in the database fails verify-logs", async () => {
    const d = await openDb(db);
    await d.query(`UPDATE log_records SET verdict = 'OK' WHERE device_id = $1 AND verdict = 'BAD_SIGNATURE' AND seq = (SELECT min(seq) FROM log_records WHERE device_id = $1 AND verdict = 'BAD_SIGNATURE')`, [ids()[2]]);
    await d.close();
    const v = await cli("verify-logs");
    expect(v.code).toBe(1);
    expect(v.err).toMatch(new RegExp(`of ${ids()[2]}: a stored record differs from the signed page`));
  }, 60_000);

  it.skipIf(!available)("records stay tied to enrolled devices and their pages: checked once per statement, not per row", async () => {
    const d = await openDb(db);
    const store = new FleetStore(d);
    try {
      const stranger = { device: "00000000000000ff", seq: 1, time: 1_790_000_000, verdict: "OK", source: "qr", kid: "0011223344556677", nikHash: "8899aabbccddeeff", warnings: 0 };
      await expect(store.ingest([stranger])).rejects.toThrow(/names a device that is not enrolled/);
      // One unknown device in a batch refuses the whole batch: nothing of it is kept.
      await expect(store.ingest([{ ...stranger, device: ids()[1], seq: 1_000_000 }, stranger])).rejects.toThrow(/not enrolled/);
      expect(await store.maxSeq(ids()[1])).toBeLessThan(1_000_000);
      const [page] = await d.query<{ id: string }>(`SELECT id FROM log_pages WHERE device_id = $1 LIMIT 1`, [ids()[1]]);
      await expect(d.query(`UPDATE log_records SET page_id = $1 WHERE device_id = $2`, [page.id, ids()[2]])).rejects.toThrow(/not that device's/);
      await expect(d.query(`DELETE FROM devices WHERE id = $1`, [ids()[1]])).rejects.toThrow(/has log records: it is revoked, never deleted/);
      await expect(d.query(`DELETE FROM log_pages WHERE id = $1`, [page.id])).rejects.toThrow(/holds log records/);
      expect(await store.ingest([{ ...stranger, device: ids()[1], seq: 1_000_000 }])).toBe(1);
      expect(await store.ingest([{ ...stranger, device: ids()[1], seq: 1_000_000 }])).toBe(0); // idempotent by (device, seq)
      await d.query(`DELETE FROM log_records WHERE device_id = $1 AND seq = 1000000`, [ids()[1]]);
    } finally {
      await d.close();
    }
  }, 60_000);

  it.skipIf(!available)("a dead address fails within the timeout and goes to the retry list, which --retry takes", async () => {
    const dead = `tcp://127.0.0.1:${await deadPort()}`;
    const retry = join(dir, `${tag}-retry.txt`);
    const r = await cli("enroll", "--ports", `${ports},${dead}`, "--timeout", "1000", "--parallel", "4", "--retry-out", retry);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/3 device\(s\) done, 1 FAILED/);
    expect(readFileSync(retry, "utf8").split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(" ")[0])).toEqual([dead]);
    const again = await cli("enroll", "--retry", retry, "--timeout", "500", "--retry-out", retry);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(new RegExp(`${dead.replace(/[.:/]/g, "\\$&")}: FAILED: cannot connect`));
  }, 60_000);

  it.skipIf(!available)("revoke (issue 21 finding 8): the device's answers and logs are refused from then on, and the list shows it", async () => {
    const stolen = ids()[0];
    const before = JSON.parse((await cli("logs", "--device", stolen, "--json")).out).length;
    const rv = await cli("revoke", "--device", stolen, "--reason", "stolen at Gate 1");
    expect(rv.code, rv.err).toBe(0);
    fleet.devices[0].scan("PD1:anything"); // the thief makes records
    const pl = await cli("pull-logs", "--device", stolen, "--ports", ports, "--admin-key", admin, "--retry-out", join(dir, "r.txt"));
    expect(pl.code).toBe(1);
    expect(pl.err).toMatch(new RegExp(`${stolen}: FAILED: device ${stolen} was revoked on .* \\(stolen at Gate 1\\): its answers are refused`));
    expect(JSON.parse((await cli("logs", "--device", stolen, "--json")).out)).toHaveLength(before); // nothing new kept
    expect((await cli("enroll", "--ports", ports, "--retry-out", join(dir, "r.txt"))).code).toBe(1); // not enrolled again either
    const list = JSON.parse((await cli("list", "--json")).out);
    expect(list.find((d: { id: string }) => d.id === stolen)).toMatchObject({ revokedReason: "stolen at Gate 1" });
    expect((await cli("list")).out).toMatch(new RegExp(`${stolen} .*!! REVOKED .*stolen at Gate 1`));
    const trail = await cli("trail");
    expect(trail.out).toMatch(/revoke \(stolen at Gate 1\)\s+1 device\(s\)\s+revoked/);
    expect(trail.out).toMatch(/provision\s+3 device\(s\)\s+3 device\(s\) done/);
  }, 60_000);
});
