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
  {
    version: 2,
    name: "log records: device ids compared as bytes, references checked once per statement",
    // Measured (1 M records, server CPU): the per-row foreign-key checks were a
    // third of ingest, and comparing device ids under the database's locale
    // another fifth. Ids are lowercase hex, so byte order is their order; the
    // references are checked for a whole statement at once (a join over the
    // rows it wrote), and a device or page with records cannot be deleted or renamed.
    sql: `
ALTER TABLE log_records DROP CONSTRAINT log_records_device_id_fkey;
ALTER TABLE log_records DROP CONSTRAINT log_records_page_id_fkey;
ALTER TABLE log_records ALTER COLUMN device_id TYPE text COLLATE "C";
CREATE FUNCTION log_records_check_refs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM written w WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = w.device_id COLLATE "default")) THEN
    RAISE EXCEPTION 'a log record names a device that is not enrolled' USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF EXISTS (SELECT 1 FROM written w WHERE w.page_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM log_pages p WHERE p.id = w.page_id AND p.device_id = w.device_id COLLATE "default")) THEN
    RAISE EXCEPTION 'a log record names a page that is not that device''s' USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER log_records_refs_insert AFTER INSERT ON log_records REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION log_records_check_refs();
CREATE TRIGGER log_records_refs_update AFTER UPDATE ON log_records REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION log_records_check_refs();
CREATE FUNCTION devices_keep_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM log_records WHERE device_id = OLD.id COLLATE "C") THEN
    RAISE EXCEPTION 'device % has log records: it is revoked, never deleted or renamed', OLD.id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE FUNCTION log_pages_keep_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM log_records WHERE page_id = OLD.id) THEN
    RAISE EXCEPTION 'page % holds log records: it is their evidence', OLD.id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER devices_keep_records BEFORE DELETE ON devices FOR EACH ROW EXECUTE FUNCTION devices_keep_records();
CREATE TRIGGER devices_keep_records_id BEFORE UPDATE OF id ON devices FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION devices_keep_records();
CREATE TRIGGER log_pages_keep_records BEFORE DELETE ON log_pages FOR EACH ROW EXECUTE FUNCTION log_pages_keep_records();
CREATE TRIGGER log_pages_keep_records_id BEFORE UPDATE OF id ON log_pages FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION log_pages_keep_records();
-- recordsOfPage (fleet verify-logs) and the check above.
CREATE INDEX log_records_page ON log_records (page_id) WHERE page_id IS NOT NULL;
`,
  },
];

/** The statements of a migration: split at a ';' that ends a line, never inside a $$-quoted body. */
export function statements(sql: string): string[] {
  const out: string[] = [];
  sql.split("$$").forEach((part, i) => {
    if (i % 2 === 1) out[out.length - 1] += "$$" + part + "$$";
    else
      part.split(/;\s*\n/).forEach((s, j) => {
        if (j === 0 && out.length > 0) out[out.length - 1] += s;
        else out.push(s);
      });
  });
  return out.map((s) => s.trim()).filter((s) => s !== "");
}

/** Bring the schema up to the last migration; refuse a database newer than this pindai. */
export async function migrate(db: Db): Promise<number> {
  await db.exec(`CREATE TABLE IF NOT EXISTS pindai_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const last = MIGRATIONS[MIGRATIONS.length - 1].version;
  for (const m of MIGRATIONS) {
    await db.tx(async (q) => {
      await q("SELECT pg_advisory_xact_lock(7274684)"); // 'pindai' fleet schema
      const done = await q("SELECT 1 FROM pindai_migrations WHERE version = $1", [m.version]);
      if (done.length > 0) return;
      for (const statement of statements(m.sql)) await q(statement);
      await q("INSERT INTO pindai_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
    });
  }
  const [{ v }] = await db.query<{ v: number }>("SELECT max(version)::int AS v FROM pindai_migrations");
  if (v > last) throw new CliError(`the fleet database is at schema version ${v}, newer than this pindai's ${last}: update pindai`);
  return v;
}
