// What the fleet keeps, and the only SQL the commands run: devices, key sets,
// log records with the signed pages they came from, the operator trail.
// Times are unix seconds in and out (timestamptz inside, so an operator's own
// SQL reads dates).
import { warningNames } from "../../../firmware/app/audit-log";
import type { LogRecord } from "../../issuer/device-client";
import type { Db } from "./db";

export interface DeviceRow {
  id: string;
  publicKey: string;
  label: string | null;
  location: string | null;
  address: string | null;
  enrolledAt: number;
  firstSeen: number | null;
  lastSeen: number | null;
  firmware: string | null;
  keysetVersion: number | null;
  clockDrift: number | null;
  clockTrusted: boolean | null;
  floorAt: number | null;
  revokedAt: number | null;
  revokedReason: string | null;
}

/** A log record as the fleet keeps it: warnings by name. */
export interface StoredRecord {
  device: string;
  seq: number;
  time: number;
  verdict: string;
  warnings: string[];
  source: string;
  kid: string;
  nikHash: string;
  page: number | null;
}

export interface LogFilter {
  devices?: string[];
  since?: number;
  until?: number;
  verdicts?: string[];
  limit?: number;
  /** Records after this (device, seq) in the output order: paging through millions. */
  after?: { time: number; device: string; seq: number };
}

const epoch = (col: string, as: string) => `extract(epoch from ${col})::float8 AS "${as}"`;
const DEVICE_COLUMNS = [
  `id, public_key AS "publicKey", label, location, address`,
  epoch("enrolled_at", "enrolledAt"),
  epoch("first_seen", "firstSeen"),
  epoch("last_seen", "lastSeen"),
  `firmware, keyset_version AS "keysetVersion", clock_drift_s::float8 AS "clockDrift", clock_trusted AS "clockTrusted"`,
  epoch("floor_at", "floorAt"),
  epoch("revoked_at", "revokedAt"),
  `revoked_reason AS "revokedReason"`,
].join(", ");

const RECORD_COLUMNS = `device_id AS device, seq::float8 AS seq, ${epoch("at", "time")}, verdict, warnings, source, kid, nik_hash AS "nikHash", page_id::float8 AS page`;

export class FleetStore {
  constructor(readonly db: Db) {}

  async device(id: string): Promise<DeviceRow | undefined> {
    return (await this.db.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = $1`, [id]))[0];
  }

  async deviceByKey(publicKey: string): Promise<DeviceRow | undefined> {
    return (await this.db.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE public_key = $1`, [publicKey]))[0];
  }

  /** Devices by id and/or label (all when neither), in id order. */
  async devices(f: { ids?: string[]; label?: string; revoked?: boolean } = {}): Promise<DeviceRow[]> {
    const where: string[] = [];
    const p: unknown[] = [];
    if (f.ids !== undefined) where.push(`id = ANY($${p.push(f.ids)}::text[])`);
    if (f.label !== undefined) where.push(`label = $${p.push(f.label)}`);
    if (f.revoked === false) where.push("revoked_at IS NULL");
    return this.db.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id`, p);
  }

  /** A new device, or the label/location/address of a known one (its key never changes: the caller checked). */
  async enroll(d: { id: string; publicKey: string; address: string | null; firmware: string | null; label?: string; location?: string; enrolledAt?: number }): Promise<"new" | "known"> {
    const rows = await this.db.query<{ inserted: boolean }>(
      `INSERT INTO devices (id, public_key, address, firmware, label, location, enrolled_at, first_seen, last_seen)
       VALUES ($1, $2, $3, $4, $5, $6, COALESCE(to_timestamp($7), now()), now(), now())
       ON CONFLICT (id) DO UPDATE SET address = COALESCE(EXCLUDED.address, devices.address), firmware = COALESCE(EXCLUDED.firmware, devices.firmware),
         label = COALESCE($5, devices.label), location = COALESCE($6, devices.location), last_seen = now()
       RETURNING (xmax = 0) AS inserted`,
      [d.id, d.publicKey, d.address, d.firmware, d.label ?? null, d.location ?? null, d.enrolledAt ?? null],
    );
    return rows[0].inserted ? "new" : "known";
  }

  /** What a contact told us: where it answered, and its signed STATUS when one was read. */
  async seen(id: string, o: { address?: string; firmware?: string; keyset?: number; rtc?: number; trusted?: boolean; floor?: number; at?: number }): Promise<void> {
    const at = o.at ?? Date.now() / 1000;
    await this.db.query(
      `UPDATE devices SET last_seen = to_timestamp($2), first_seen = COALESCE(first_seen, to_timestamp($2)), address = COALESCE($3, address),
         firmware = COALESCE($4, firmware), keyset_version = COALESCE($5, keyset_version),
         clock_drift_s = CASE WHEN $6::float8 IS NULL THEN clock_drift_s ELSE round($6::float8 - $2::float8)::bigint END,
         clock_trusted = COALESCE($7, clock_trusted), floor_at = COALESCE(to_timestamp($8), floor_at)
       WHERE id = $1`,
      [id, at, o.address ?? null, o.firmware ?? null, o.keyset ?? null, o.rtc ?? null, o.trusted ?? null, o.floor ?? null],
    );
  }

  async setLabel(ids: string[], label: string | null, location: string | null): Promise<number> {
    const rows = await this.db.query(`UPDATE devices SET label = COALESCE($2, label), location = COALESCE($3, location) WHERE id = ANY($1::text[]) RETURNING id`, [ids, label, location]);
    return rows.length;
  }

  /** From now on the device's logs and answers are refused. Returns false when it was revoked already. */
  async revoke(id: string, reason: string): Promise<boolean> {
    const rows = await this.db.query(`UPDATE devices SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id`, [id, reason]);
    return rows.length === 1;
  }

  async addKeyset(k: { version: number; issued: number; nextUpdate: number; sha256: string; bytes: Uint8Array }): Promise<void> {
    await this.db.query(
      `INSERT INTO keysets (version, issued, next_update, sha256, bytes) VALUES ($1, to_timestamp($2), to_timestamp($3), $4, $5) ON CONFLICT (version) DO NOTHING`,
      [k.version, k.issued, k.nextUpdate, k.sha256, Buffer.from(k.bytes)],
    );
  }

  async keysets(): Promise<{ version: number; issued: number; nextUpdate: number; sha256: string }[]> {
    return this.db.query(`SELECT version, ${epoch("issued", "issued")}, ${epoch("next_update", "nextUpdate")}, sha256 FROM keysets ORDER BY version`);
  }

  /**
   * A signed LOG page and its records, in one transaction: the page is kept
   * as evidence, each record once per (device, seq). Refused (returns
   * undefined) when the device is revoked. Returns the records that were new.
   */
  async addPage(device: string, nonce: string, answer: string, records: LogRecord[]): Promise<number | undefined> {
    return this.db.tx(async (q) => {
      const d = await q<{ revoked: boolean }>(`SELECT revoked_at IS NOT NULL AS revoked FROM devices WHERE id = $1 FOR UPDATE`, [device]);
      if (d.length === 0 || d[0].revoked) return undefined;
      const [{ id }] = await q<{ id: number }>(`INSERT INTO log_pages (device_id, nonce, answer, records) VALUES ($1, $2, $3, $4) RETURNING id::float8 AS id`, [device, nonce, answer, records.length]);
      return insertRecords(q, records, id);
    });
  }

  /** Records without a page (an imported inventory, a benchmark): same idempotence. */
  async ingest(records: LogRecord[]): Promise<number> {
    return this.db.tx((q) => insertRecords(q, records, null));
  }

  /** Log records in (time, device, seq) order. */
  async logs(f: LogFilter): Promise<StoredRecord[]> {
    const where: string[] = [];
    const p: unknown[] = [];
    if (f.devices !== undefined) where.push(`device_id = ANY($${p.push(f.devices)}::text[])`);
    if (f.since !== undefined) where.push(`at >= to_timestamp($${p.push(f.since)})`);
    if (f.until !== undefined) where.push(`at < to_timestamp($${p.push(f.until)})`);
    if (f.verdicts !== undefined) where.push(`verdict = ANY($${p.push(f.verdicts)}::text[])`);
    if (f.after !== undefined) where.push(`(at, device_id, seq) > (to_timestamp($${p.push(f.after.time)}), $${p.push(f.after.device)}, $${p.push(f.after.seq)})`);
    const limit = f.limit === undefined ? "" : `LIMIT ${Math.floor(f.limit)}`;
    return this.db.query<StoredRecord>(`SELECT ${RECORD_COLUMNS} FROM log_records ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY at, device_id, seq ${limit}`, p);
  }

  /** Verdict counts per device since a time (fleet status: a burst of BAD_SIGNATURE). */
  async verdictCounts(since: number): Promise<{ device: string; verdict: string; n: number }[]> {
    return this.db.query(`SELECT device_id AS device, verdict, count(*)::float8 AS n FROM log_records WHERE at >= to_timestamp($1) GROUP BY device_id, verdict`, [since]);
  }

  /** The highest sequence number kept for a device (-1: none): pull-logs goes on from there. */
  async maxSeq(device: string): Promise<number> {
    const [{ n }] = await this.db.query<{ n: number }>(`SELECT COALESCE(max(seq), -1)::float8 AS n FROM log_records WHERE device_id = $1`, [device]);
    return n;
  }

  async recordCounts(): Promise<Map<string, number>> {
    const rows = await this.db.query<{ device: string; n: number }>(`SELECT device_id AS device, count(*)::float8 AS n FROM log_records GROUP BY device_id`);
    return new Map(rows.map((r) => [r.device, r.n]));
  }

  /** Signed pages after `afterId`, a batch at a time (fleet verify-logs). */
  async pages(afterId: number, batch: number): Promise<{ id: number; device: string; nonce: string; answer: string; records: number; pulledAt: number }[]> {
    return this.db.query(
      `SELECT id::float8 AS id, device_id AS device, nonce, answer, records, ${epoch("pulled_at", "pulledAt")} FROM log_pages WHERE id > $1 ORDER BY id LIMIT $2`,
      [afterId, batch],
    );
  }

  async recordsOfPage(page: number): Promise<StoredRecord[]> {
    return this.db.query<StoredRecord>(`SELECT ${RECORD_COLUMNS} FROM log_records WHERE page_id = $1 ORDER BY seq`, [page]);
  }

  async unpagedCount(): Promise<number> {
    const [{ n }] = await this.db.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM log_records WHERE page_id IS NULL`);
    return n;
  }

  /** The operator trail: who ran which command on which devices, and how it ended. */
  async trail(o: { operator: string; command: string; devices: string[]; result: string; detail?: unknown }): Promise<void> {
    await this.db.query(`INSERT INTO trail (operator, command, devices, result, detail) VALUES ($1, $2, $3, $4, $5)`, [o.operator, o.command, o.devices, o.result, o.detail === undefined ? null : JSON.stringify(o.detail)]);
  }

  async trailEntries(limit: number): Promise<{ at: number; operator: string; command: string; devices: string[]; result: string }[]> {
    return this.db.query(`SELECT ${epoch("at", "at")}, operator, command, devices, result FROM trail ORDER BY id DESC LIMIT $1`, [limit]);
  }
}

/**
 * Rows in one statement (one round trip for thousands); duplicates skipped.
 * Each column goes as one comma-joined text that the server splits: far
 * cheaper for the client than an array parameter per column, and every value
 * is a number, hex, or a name without a comma (checked).
 */
async function insertRecords(q: Db["query"], records: LogRecord[], page: number | null): Promise<number> {
  let added = 0;
  for (let i = 0; i < records.length; i += INSERT_BATCH) {
    const b = records.slice(i, i + INSERT_BATCH);
    const col = (f: (r: LogRecord) => string | number) => b.map(f).join(",");
    const cols = [col((r) => r.device), col((r) => r.seq), col((r) => r.time), col((r) => r.verdict), col((r) => warningNames(r.warnings).join("+")), col((r) => r.source), col((r) => r.kid), col((r) => r.nikHash)];
    // A value holding a comma would shift every column after it: refused (none can, from a checked page or inventory).
    if (cols.some((c) => !/^[0-9A-Za-z_?+,.-]*$/.test(c)) || cols.some((c) => c.split(",").length !== b.length)) throw new Error("a log record holds a value that is not a number, hex or a name");
    const rows = await q<{ n: number }>(
      `WITH ins AS (
         INSERT INTO log_records (device_id, seq, at, verdict, warnings, source, kid, nik_hash, page_id)
         SELECT d, s::bigint, to_timestamp(t::float8), v, COALESCE(string_to_array(w, '+'), '{}'), src, k, h, $9::bigint
         FROM unnest(string_to_array($1, ','), string_to_array($2, ','), string_to_array($3, ','), string_to_array($4, ','),
                     string_to_array($5, ','), string_to_array($6, ','), string_to_array($7, ','), string_to_array($8, ',')) AS u(d, s, t, v, w, src, k, h)
         ON CONFLICT (device_id, seq) DO NOTHING RETURNING 1)
       SELECT count(*)::float8 AS n FROM ins`,
      [...cols, page],
    );
    added += rows[0].n;
  }
  return added;
}

export const INSERT_BATCH = 5000;
