// The fleet's tests run on both engines: PGlite (always) and a PostgreSQL
// server when PINDAI_TEST_PG_URL names one (.ci/run starts a throwaway
// cluster with .ci/postgres). Without it they say loudly that they skipped,
// and under CI=true they fail instead.
export function serverUrl(): string | undefined {
  const url = process.env.PINDAI_TEST_PG_URL;
  if (url !== undefined && url !== "") return url;
  if (process.env.CI === "true") throw new Error("PINDAI_TEST_PG_URL is required under CI=true (.ci/run starts a PostgreSQL cluster with .ci/postgres)");
  console.warn("\n*** SKIPPED: PINDAI_TEST_PG_URL is not set; the fleet tests on a PostgreSQL server did not run (eval \"$(.ci/postgres start)\" starts one) ***\n");
  return undefined;
}

/** A new empty database on the server, for one test file; drop() removes it. */
export async function freshDatabase(url: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import("pg");
  const db = `pindai_${name}_${process.pid}_${Date.now()}`.replace(/[^a-z0-9_]/g, "_");
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = "/" + db;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await c.end();
    },
  };
}
