// The fleet schema, as numbered migrations: the same SQL on PGlite and on a
// PostgreSQL server. A migration is never edited once released; a change is a
// new one at the end. Each runs in its own transaction, under an advisory
// lock so that two operators starting at once on a server do not both apply it.
import type { Db } from "./db";
import { CliError } from "../../issuer/errors";

export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: "devices, key sets, log records with their signed pages, operator trail",
    sql: `
CREATE TABLE devices (
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
  public_key text NOT NULL UNIQUE CHECK (public_key ~ '^[0-9a-f]{64}$'),
  label text CHECK (length(label) <= 200),
  location text CHECK (length(location) <= 200),
  address text CHECK (length(address) <= 300),
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  first_seen timestamptz,
  last_seen timestamptz,
  firmware text,
  keyset_version integer,
  clock_drift_s bigint,
  clock_trusted boolean,
  floor_at timestamptz,
  revoked_at timestamptz,
  revoked_reason text
);
CREATE INDEX devices_label ON devices (label);

CREATE TABLE keysets (
  version integer PRIMARY KEY,
  issued timestamptz NOT NULL,
  next_update timestamptz NOT NULL,
  sha256 text NOT NULL,
  bytes bytea NOT NULL,
  added_at timestamptz NOT NULL DEFAULT now()
);

-- A LOG answer as the device signed it: evidence that fleet verify-logs re-checks.
CREATE TABLE log_pages (
  id bigserial PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices (id),
  pulled_at timestamptz NOT NULL DEFAULT now(),
  nonce text NOT NULL CHECK (nonce ~ '^[0-9a-f]{32}$'),
  answer text NOT NULL,
  records integer NOT NULL
);
CREATE INDEX log_pages_device ON log_pages (device_id);

-- One row per (device, sequence): pulling twice keeps one copy.
CREATE TABLE log_records (
  device_id text NOT NULL REFERENCES devices (id),
  seq bigint NOT NULL,
  at timestamptz NOT NULL,
  verdict text NOT NULL,
  warnings text[] NOT NULL DEFAULT '{}',
  source text NOT NULL,
  kid text NOT NULL,
  nik_hash text NOT NULL,
  page_id bigint REFERENCES log_pages (id),
  PRIMARY KEY (device_id, seq)
);
-- fleet logs --device X --since/--until: one device over a time range.
CREATE INDEX log_records_device_at ON log_records (device_id, at);
-- fleet logs --since/--until over the whole fleet, and the verdict rates of fleet status.
CREATE INDEX log_records_at ON log_records (at);

CREATE TABLE trail (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  operator text NOT NULL,
  command text NOT NULL,
  devices text[] NOT NULL,
  result text NOT NULL,
  detail jsonb
);
CREATE INDEX trail_at ON trail (at);
`,
  },
];

/** Bring the schema up to the last migration; refuse a database newer than this pindai. */
export async function migrate(db: Db): Promise<number> {
  await db.exec(`CREATE TABLE IF NOT EXISTS pindai_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const last = MIGRATIONS[MIGRATIONS.length - 1].version;
  for (const m of MIGRATIONS) {
    await db.tx(async (q) => {
      await q("SELECT pg_advisory_xact_lock(7274684)"); // 'pindai' fleet schema
      const done = await q("SELECT 1 FROM pindai_migrations WHERE version = $1", [m.version]);
      if (done.length > 0) return;
      for (const statement of m.sql.split(/;\s*\n/).map((s) => s.trim()).filter((s) => s !== "")) await q(statement);
      await q("INSERT INTO pindai_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
    });
  }
  const [{ v }] = await db.query<{ v: number }>("SELECT max(version)::int AS v FROM pindai_migrations");
  if (v > last) throw new CliError(`the fleet database is at schema version ${v}, newer than this pindai's ${last}: update pindai`);
  return v;
}
