// The fleet's database: PostgreSQL, embedded (PGlite, PostgreSQL compiled to
// WebAssembly, in a folder) or a server (node-postgres). Both speak the same
// SQL; this is the only place that knows which one runs. PGlite is one
// connection, used by one query at a time (serial() below), so the parallel
// device workers never interleave a transaction; a server gets a few pooled
// connections, a transaction holding one of its own.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { CliError } from "../../issuer/errors";
import { fsReason } from "../../issuer/files";
import { migrate } from "./migrations";

export interface Db {
  readonly engine: "pglite" | "postgres";
  /** Where it is: the folder, or the server URL without its password. */
  readonly where: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** fn inside BEGIN ... COMMIT (ROLLBACK when it throws); nothing else runs meanwhile. */
  tx<T>(fn: (q: Db["query"]) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The default database folder: the user's data folder, never the current one (a work tree). */
export function defaultDbDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith("/") ? env.XDG_DATA_HOME : join(homedir(), ".local", "share");
  return join(base, "pindai", "fleet");
}

/** --db, else PINDAI_DB, else the default folder. */
export function dbSpec(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option ?? (env.PINDAI_DB && env.PINDAI_DB !== "" ? env.PINDAI_DB : defaultDbDir(env));
}

export const isServerUrl = (spec: string) => /^postgres(ql)?:\/\//.test(spec);

/** A URL as it may be printed: without a password. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unreadable URL)";
  }
}

/** Runs each call after the previous one settled: one statement or transaction at a time. */
function serial(): <T>(fn: () => Promise<T>) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => {});
    return run;
  };
}

function wrap(engine: Db["engine"], where: string, raw: { query(sql: string, p?: unknown[]): Promise<{ rows: unknown[] }>; exec(sql: string): Promise<void>; close(): Promise<void> }, release: () => void): Db {
  const one = serial();
  const q = async <T>(sql: string, params?: unknown[]) => (await raw.query(sql, params)).rows as T[];
  return {
    engine,
    where,
    query: (sql, params) => one(() => q(sql, params)),
    exec: (sql) => one(() => raw.exec(sql)),
    tx: (fn) =>
      one(async () => {
        await raw.exec("BEGIN");
        try {
          const r = await fn(q);
          await raw.exec("COMMIT");
          return r;
        } catch (e) {
          await raw.exec("ROLLBACK").catch(() => {});
          throw e;
        }
      }),
    close: async () => {
      try {
        await one(() => raw.close());
      } finally {
        release();
      }
    },
  };
}

/**
 * An embedded database is one process's at a time: a lock file holds the
 * owner's pid, and a lock left by a process that is gone is taken over.
 */
function lockFolder(dir: string): () => void {
  const path = join(dir, "pindai.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new CliError(`cannot use the fleet database ${dir}: ${fsReason(e)}`);
      const pid = Number(readFileSync(path, "utf8").slice(0, 20));
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) throw new CliError(`the fleet database ${dir} is in use by process ${pid} (one command at a time on an embedded database; a PostgreSQL server takes many)`);
      unlinkSync(path); // its owner is gone
    }
  }
  throw new CliError(`cannot lock the fleet database ${dir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Open (and create or upgrade) the fleet database named by spec: a folder or postgres://. */
export async function openDb(spec: string): Promise<Db> {
  const db = isServerUrl(spec) ? await openServer(spec) : await openEmbedded(spec);
  try {
    await migrate(db);
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

/** Connections to a server: the device workers' short writes overlap instead of queueing on one. */
export const SERVER_CONNECTIONS = 4;

async function openServer(url: string): Promise<Db> {
  const { default: pg } = await import("pg");
  // Bounded: a query that runs away (a wrong filter on 10 M records) stops.
  const pool = new pg.Pool({ connectionString: url, max: SERVER_CONNECTIONS, connectionTimeoutMillis: 10000, statement_timeout: 300_000, application_name: "pindai fleet" });
  pool.on("error", () => {}); // a dropped idle connection: the next query connects again, or fails with its message
  try {
    (await pool.connect()).release();
  } catch (e) {
    await pool.end().catch(() => {});
    throw new CliError(`cannot connect to the fleet database ${safeUrl(url)}: ${(e as Error).message.split("\n")[0]}`);
  }
  const q = async <T>(c: { query(s: string, p?: unknown[]): Promise<{ rows: unknown[] }> }, sql: string, params?: unknown[]) => (await c.query(sql, params)).rows as T[];
  return {
    engine: "postgres",
    where: safeUrl(url),
    query: (sql, params) => q(pool, sql, params),
    exec: async (sql) => void (await pool.query(sql)),
    // A transaction holds one connection from BEGIN to COMMIT.
    tx: async (fn) => {
      const c = await pool.connect();
      try {
        await c.query("BEGIN");
        const r = await fn((sql, params) => q(c, sql, params));
        await c.query("COMMIT");
        return r;
      } catch (e) {
        await c.query("ROLLBACK").catch(() => {});
        throw e;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}

async function openEmbedded(dir: string): Promise<Db> {
  const path = resolve(dir);
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CliError(`cannot make the fleet database folder ${path}: ${fsReason(e)}`);
  }
  if (!statSync(path).isDirectory()) throw new CliError(`the fleet database ${path} is not a folder`);
  const release = lockFolder(path);
  try {
    const { PGlite } = await import("@electric-sql/pglite");
    const db = await PGlite.create(join(path, "pgdata"));
    return wrap("pglite", path, { query: (s, p) => db.query(s, p as unknown[]), exec: async (s) => void (await db.exec(s)), close: () => db.close() }, release);
  } catch (e) {
    release();
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot open the fleet database ${path}: ${(e as Error).message.split("\n")[0]}`);
  }
}
