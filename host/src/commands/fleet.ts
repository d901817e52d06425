// pindai fleet: an agency's devices in one PostgreSQL database (embedded with
// PGlite by default, or a server), the admin protocol over many of them at
// once, and what the database says about them. The modules behind it are in
// host/src/fleet/: db (the two engines), migrations (the schema), store (its
// SQL), operations (one device), runner (many at once), report, evidence.
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { MAX_KEYSET_BYTES } from "../../../firmware/core/keyset";
import { VERDICTS } from "../../../firmware/core/verdict";
import { CliError, failed } from "../../issuer/errors";
import { DeviceError } from "../../issuer/device-client";
import { fsReason, readBounded } from "../../issuer/files";
import { hex, readKeyFile, unhex } from "../../issuer/keyfile";
import { kidOf } from "../../../firmware/core/sha256";
import { clip, nowSeconds, parse, parseInteger, parseTime, required } from "../args";
import { adminKeyOf } from "./device";
import type { Io } from "../cli";
import { dbSpec, defaultDbDir, isServerUrl, openDb } from "../fleet/db";
import { FleetStore, type DeviceRow, type LogFilter } from "../fleet/store";
import { keysetFile, operate, type OpContext, type Outcome, type Sub } from "../fleet/operations";
import { runOnDevices } from "../fleet/runner";
import { parseAddresses, readRetryList, writeRetryList } from "../fleet/targets";
import { readInventory } from "../fleet/inventory";
import { CSV_COLUMNS, csvRow, deviceLine, FORGERY_VERDICTS, iso, recordJson, recordLine, view, type StatusOptions } from "../fleet/report";
import { decodeLogPage, storedAreSigned } from "../fleet/evidence";

export const fleetHelp = `pindai fleet COMMAND [--db DIR|postgres://...] [--json] [options]

The agency's devices, their logs and an operator trail in one PostgreSQL
database: embedded (a folder, nothing to install; default
${tilde(defaultDbDir())}) or a server (postgres://user@host/db).
--db or the PINDAI_DB environment variable chooses it; every command takes --json.

On devices (by serial port or TCP address; one line per device, --parallel N at once):
  provision --keyset F --admin-key K   enroll + install the key set + set the clock, in the order that works
  enroll [--label L] [--location L]    record each device's id, public key, firmware (and label)
  push-keyset --keyset F               install a signed key set; confirmed by the device's signed STATUS
  set-time --admin-key K [--at T]      set each clock (default: this computer's time), signed, confirmed
  pull-logs --admin-key K              pull new audit records; each signed page is kept as evidence
  Devices: --ports PATH|tcp://HOST:PORT[-LAST],...  (where they answer), or the enrolled ones
  chosen by --device ID,... or --label L at the address where each last answered;
  --retry FILE takes the list a failed run wrote (--retry-out FILE, default in the data folder);
  --dry-run says what would change and changes nothing; --parallel N (default 8); --timeout MS.

On the database:
  import FILE                          a JSON inventory of earlier pindai versions (fleet.json)
  list [--label L]                     every device: last seen, firmware, key set (and when it goes stale), drift
  status [--days N] [--drift S] [--burst N] [--hours H]
                                       what needs attention: not seen for N days (7), key set stale or
                                       going stale within 7 days, clock untrusted or off by more than S
                                       s (60), N or more forgeries (${FORGERY_VERDICTS.join(", ")})
                                       in the last H hours (20 in 24): someone trying forgeries
  logs [--device ID,...] [--label L] [--since T] [--until T] [--verdict V,...] [--csv FILE|-] [--limit N]
                                       log records in time order; CSV columns:
                                       ${CSV_COLUMNS.join(",")}
  verify-logs                          re-check every stored signed page against its device's key
  revoke --device ID,... [--reason TEXT]
                                       a lost or stolen device: from now on its answers and logs are refused
  trail [--limit N]                    the operator trail: who ran what on which devices, and the result

--operator NAME names you in the trail (default: your login). Exit 0 done, 1 a device
or check failed (or nothing matched), 2 usage or a bad file.`;

const DEVICE_SUBS: Sub[] = ["provision", "enroll", "push-keyset", "set-time", "pull-logs"];
const DB_SUBS = ["import", "list", "status", "logs", "verify-logs", "revoke", "trail"];

export async function fleet(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      db: { type: "string" },
      json: { type: "boolean" },
      ports: { type: "string" },
      device: { type: "string" },
      label: { type: "string" },
      location: { type: "string" },
      "admin-key": { type: "string" },
      keyset: { type: "string" },
      at: { type: "string" },
      timeout: { type: "string" },
      parallel: { type: "string" },
      "dry-run": { type: "boolean" },
      retry: { type: "string" },
      "retry-out": { type: "string" },
      operator: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      verdict: { type: "string" },
      csv: { type: "string" },
      limit: { type: "string" },
      days: { type: "string" },
      drift: { type: "string" },
      burst: { type: "string" },
      hours: { type: "string" },
      reason: { type: "string" },
      inventory: { type: "string" },
    },
    true,
  );
  if (values.help) return io.help(fleetHelp);
  const [sub, ...rest] = positionals;
  const all = [...DEVICE_SUBS, ...DB_SUBS];
  if (sub === undefined || !all.includes(sub)) {
    if (sub === "export") throw new CliError(`"fleet export" is now "fleet logs --csv FILE" (the inventory file became a database: pindai fleet import FILE once)`);
    throw new CliError(`${sub ? `unknown subcommand "${clip(sub)}"` : "missing subcommand"}: ${all.join(", ")} (pindai fleet --help)`);
  }
  if (values.inventory !== undefined) throw new CliError(`--inventory: the inventory file became a database (--db, default ${defaultDbDir()}); bring it in once with pindai fleet import ${clip(values.inventory)}`);
  if (rest.length > (sub === "import" ? 1 : 0)) throw new CliError(`unexpected argument "${clip(rest[sub === "import" ? 1 : 0])}" (pindai fleet --help)`);
  const operator = values.operator ?? process.env.USER ?? safeLogin();
  if (operator.length > 100 || /[\0\r\n]/.test(operator)) throw new CliError("--operator: a name of at most 100 characters on one line");
  const text = (name: string, max: number) => {
    const v = values[name] as string | undefined;
    if (v !== undefined && (v.length > max || /[\0\r\n]/.test(v))) throw new CliError(`--${name}: at most ${max} characters on one line`);
    return v;
  };
  const label = text("label", 200);
  const location = text("location", 200);
  const reason = text("reason", 500);
  const ids = values.device === undefined ? undefined : deviceIds(values.device);
  const print = (line: string, json: unknown) => io.out(values.json ? JSON.stringify(json) : line);

  // Everything the command reads is checked before the database opens or a device is asked.
  if (DEVICE_SUBS.includes(sub as Sub)) {
    const s = sub as Sub;
    if ((s === "set-time" || s === "pull-logs" || s === "provision") && values["admin-key"] === undefined) throw new CliError(`${s} is signed: give --admin-key FILE`);
    if (s === "push-keyset" && values.keyset === undefined) throw new CliError("push-keyset: give --keyset FILE");
    const key = adminKeyOf(values["admin-key"]);
    const keyIsRoot = values["admin-key"] !== undefined && readKeyFile(values["admin-key"]).usage.includes("root");
    const ks = values.keyset === undefined ? undefined : keysetFile(new Uint8Array(readBounded(values.keyset, "key set", MAX_KEYSET_BYTES)), values.keyset);
    const at = values.at === undefined ? undefined : parseTime(values.at, "at");
    const timeoutMs = values.timeout ? parseInteger(values.timeout, "timeout", 100, 600000) : 5000;
    const parallel = values.parallel ? parseInteger(values.parallel, "parallel", 1, 1024) : 8;
    if (values.retry !== undefined && values.ports !== undefined) throw new CliError("--retry or --ports, not both");
    let addresses = values.retry !== undefined ? readRetryList(values.retry) : values.ports !== undefined ? parseAddresses(values.ports) : undefined;
    if (addresses === undefined && (s === "enroll" || s === "provision")) throw new CliError(`${s}: give --ports (the serial ports or tcp:// addresses where the new devices answer)`);
    const retryOut = values["retry-out"] ?? join(dirname(defaultDbDir()), `retry-${s}.txt`);
    return withStore(values.db, async (store) => {
      if (addresses === undefined) {
        const rows = (await store.devices({ ids, label, revoked: false })).filter((d) => d.address !== null);
        if (rows.length === 0) throw failed(`no enrolled device${ids ? " with those ids" : label ? ` labelled ${label}` : ""} has a known address: give --ports`);
        addresses = [...new Set(rows.map((d) => d.address!))];
      }
      if (ks && !values["dry-run"]) await store.addKeyset(ks);
      const ctx: OpContext = { store, key, keyIsRoot, keyset: ks, at, label, location, ids: ids ? new Set(ids) : undefined, dryRun: values["dry-run"] === true };
      const bar = process.stderr.isTTY && !values.json ? process.stderr : undefined;
      const results = await runOnDevices(addresses, { parallel, timeoutMs, key, json: values.json === true, io, bar }, (c, address) => operate(s, c, address, ctx));
      return finish(s, results, { store, io, json: values.json === true, retryOut, operator, dryRun: ctx.dryRun });
    });
  }

  switch (sub) {
    case "import": {
      const file = required(rest[0], "FILE (pindai fleet import FILE)");
      const inv = readInventory(file);
      return withStore(values.db, async (store) => {
        let added = 0;
        let revoked = 0;
        const revokedIds = new Set<string>();
        // Every device checked against the database before anything is written.
        const have = new Map((await store.devices({ ids: inv.devices.map((d) => d.id) })).map((d) => [d.id, d]));
        for (const d of inv.devices) {
          if (have.get(d.id) && have.get(d.id)!.publicKey !== d.publicKey) throw new CliError(`${file}: device ${d.id} is in the database with another public key: refused`);
        }
        for (const d of inv.devices) {
          if (have.get(d.id)?.revokedAt) {
            revokedIds.add(d.id);
            revoked++;
            continue;
          }
          if ((await store.enroll({ ...d, enrolledAt: d.enrolled })) === "new") added++;
        }
        const records = inv.records.filter((r) => !revokedIds.has(r.device));
        const newRecords = await store.ingest(records);
        const summary = `imported ${inv.devices.length} device(s) (${added} new${revoked ? `, ${revoked} revoked and skipped` : ""}) and ${records.length} record(s) (${newRecords} new; imported records have no signed page)`;
        await store.trail({ operator, command: `import ${clip(file)}`, devices: inv.devices.map((d) => d.id), result: summary });
        print(summary, { devices: inv.devices.length, newDevices: added, revoked, records: records.length, newRecords });
        return 0;
      });
    }
    case "revoke": {
      if (ids === undefined) throw new CliError("revoke: give --device ID[,ID...] (the ids fleet list shows)");
      return withStore(values.db, async (store) => {
        let failed = 0;
        const out: unknown[] = [];
        for (const id of ids) {
          const d = await store.device(id);
          let line: string;
          if (!d) (line = `${id}: not in the fleet`), failed++;
          else if (d.revokedAt) line = `${id}: revoked already on ${iso(d.revokedAt)}`;
          else if (values["dry-run"]) line = `${id}: would be revoked`;
          else {
            await store.revoke(id, reason ?? "");
            line = `${id}: revoked; from now on its answers and logs are refused (its ${(await store.recordCounts()).get(id) ?? 0} records pulled before stay)`;
          }
          out.push({ device: id, result: line });
          if (!values.json) io.out(line);
        }
        if (!values["dry-run"]) await store.trail({ operator, command: `revoke${reason ? " (" + reason + ")" : ""}`, devices: ids, result: failed ? `${failed} not found` : "revoked" });
        if (values.json) io.out(JSON.stringify({ results: out, failed }));
        return failed === 0 ? 0 : 1;
      });
    }
    case "list":
    case "status": {
      const o: StatusOptions = {
        now: nowSeconds(),
        days: values.days ? parseInteger(values.days, "days", 1, 3650) : 7,
        driftS: values.drift ? parseInteger(values.drift, "drift", 1, 10 ** 9) : 60,
        burst: values.burst ? parseInteger(values.burst, "burst", 1, 10 ** 9) : 20,
        windowS: (values.hours ? parseInteger(values.hours, "hours", 1, 24 * 366) : 24) * 3600,
      };
      return withStore(values.db, async (store) => {
        const devices = await store.devices({ ids, label });
        const keysets = await store.keysets();
        const counts = await store.recordCounts();
        const forgeries = new Map<string, number>();
        const totals = new Map<string, number>();
        for (const c of await store.verdictCounts(o.now - o.windowS)) {
          totals.set(c.device, (totals.get(c.device) ?? 0) + c.n);
          if (FORGERY_VERDICTS.includes(c.verdict)) forgeries.set(c.device, (forgeries.get(c.device) ?? 0) + c.n);
        }
        const views = devices.map((d) => view(d, keysets, counts.get(d.id) ?? 0, forgeries.get(d.id) ?? 0, totals.get(d.id) ?? 0, o));
        const attention = views.filter((v) => v.attention.length > 0);
        if (sub === "list") {
          if (values.json) io.out(JSON.stringify(views));
          else for (const v of views) io.out(deviceLine(v));
          if (!values.json) io.out(`${views.length} device(s)${views.some((v) => v.revokedAt) ? `, ${views.filter((v) => v.revokedAt).length} revoked` : ""}`);
          return 0;
        }
        if (values.json) io.out(JSON.stringify({ devices: views.length, attention: attention.map((v) => ({ device: v.id, label: v.label, attention: v.attention })), keysets }));
        else {
          for (const v of attention) io.out(`${v.id}${v.label ? " (" + v.label + ")" : ""}: ${v.attention.join("; ")}`);
          io.out(`${views.length} device(s), ${attention.length} need attention`);
        }
        return 0;
      });
    }
    case "logs":
      return logs(values, ids, label, io);
    case "verify-logs":
      return withStore(values.db, (store) => verifyLogs(store, io, values.json === true));
    case "trail": {
      const limit = values.limit ? parseInteger(values.limit, "limit", 1, 100000) : 50;
      return withStore(values.db, async (store) => {
        const rows = await store.trailEntries(limit);
        if (values.json) io.out(JSON.stringify(rows));
        else for (const r of rows.reverse()) io.out(`${iso(r.at)}  ${r.operator}  ${r.command}  ${r.devices.length} device(s)  ${r.result}`);
        return 0;
      });
    }
  }
  return 2;
}

/** A path under the home folder as ~/... (the help names the default without the user's name). */
function tilde(path: string): string {
  return path.startsWith(homedir() + "/") ? "~" + path.slice(homedir().length) : path;
}

function safeLogin(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

function deviceIds(list: string): string[] {
  const ids = list.split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "");
  for (const id of ids) if (!/^[0-9a-f]{16}$/.test(id)) throw new CliError(`--device: "${clip(id)}" is not a device id (16 hex digits, as fleet list shows)`);
  if (ids.length === 0) throw new CliError("--device: give one or more device ids");
  return ids;
}

async function withStore(spec: string | undefined, fn: (store: FleetStore) => Promise<number>): Promise<number> {
  const target = dbSpec(spec);
  if (!isServerUrl(target) && target.length > 1000) throw new CliError("--db: a folder path or a postgres:// URL");
  const db = await openDb(target);
  try {
    return await fn(new FleetStore(db));
  } finally {
    await db.close();
  }
}

/** The last lines of a run on devices: the count, the retry list, the trail entry. */
async function finish(sub: Sub, results: Outcome[], o: { store: FleetStore; io: Io; json: boolean; retryOut: string; operator: string; dryRun: boolean }): Promise<number> {
  const failed = results.filter((r) => !r.ok);
  const done = results.filter((r) => r.ok && !r.skipped);
  const skipped = results.length - failed.length - done.length;
  let retryList: string | undefined;
  if (failed.length > 0) {
    try {
      mkdirSync(dirname(o.retryOut), { recursive: true });
    } catch (e) {
      throw new CliError(`cannot write the retry list ${o.retryOut}: ${fsReason(e)}`);
    }
    writeRetryList(o.retryOut, failed.map((f) => ({ address: f.address, device: f.device, error: f.text })), sub);
    retryList = o.retryOut;
  }
  const summary = `${done.length} device(s) ${o.dryRun ? "checked (dry run: nothing changed)" : "done"}${skipped ? `, ${skipped} skipped` : ""}${failed.length ? `, ${failed.length} FAILED` : ""}`;
  if (!o.dryRun) {
    await o.store.trail({
      operator: o.operator,
      command: sub,
      devices: results.filter((r) => r.device).map((r) => r.device!),
      result: summary,
      detail: results.map((r) => ({ address: r.address, device: r.device ?? null, ok: r.ok, text: r.text })),
    });
  }
  if (o.json) o.io.out(JSON.stringify({ command: sub, done: done.length, skipped, failed: failed.length, retryList: retryList ?? null, results }));
  else {
    o.io.out(summary);
    if (retryList) o.io.err(`the failed ones are in ${retryList}: pindai fleet ${sub} --retry ${retryList} (with the same options) tries them again`);
  }
  if (done.length === 0 && failed.length === 0) {
    if (!o.json) o.io.err("no device matched");
    return 1;
  }
  return failed.length === 0 ? 0 : 1;
}

/** fleet logs: records in time order, read a page at a time (millions never sit in memory). */
async function logs(values: Record<string, string | boolean | undefined>, ids: string[] | undefined, label: string | undefined, io: Io): Promise<number> {
  const verdicts = typeof values.verdict === "string" ? values.verdict.split(",").map((v) => v.trim().toUpperCase()) : undefined;
  for (const v of verdicts ?? []) if (!VERDICTS.includes(v as never)) throw new CliError(`--verdict: "${clip(v)}" is not a verdict (${VERDICTS.join(", ")})`);
  const since = typeof values.since === "string" ? parseTime(values.since, "since") : undefined;
  const until = typeof values.until === "string" ? parseTime(values.until, "until") : undefined;
  if (since !== undefined && until !== undefined && until <= since) throw new CliError("--until must be after --since");
  const limit = typeof values.limit === "string" ? parseInteger(values.limit, "limit", 1, 10 ** 9) : undefined;
  const csv = typeof values.csv === "string" ? values.csv : undefined;
  let fd: number | undefined;
  if (csv !== undefined && csv !== "") {
    if (csv !== "-") {
      if (existsSync(csv) && statSync(csv).isFIFO()) throw new CliError(`cannot write the CSV ${csv}: it is a pipe (FIFO), not a file`);
      try {
        fd = openSync(csv, "w");
      } catch (e) {
        throw new CliError(`cannot write the CSV ${csv}: ${fsReason(e)}`);
      }
    }
  }
  const emit = (text: string) => (fd === undefined ? io.out(text) : writeSync(fd, text + "\n"));
  try {
    return await withStore(values.db as string | undefined, async (store) => {
      const rows: DeviceRow[] = await store.devices({ ids, label });
      if ((ids !== undefined || label !== undefined) && rows.length === 0) throw new CliError(`no device ${ids ? "with those ids" : `labelled ${label}`} in the fleet`);
      const labels = new Map(rows.map((d) => [d.id, d.label]));
      const f: LogFilter = { devices: ids !== undefined || label !== undefined ? rows.map((d) => d.id) : undefined, since, until, verdicts };
      if (csv !== undefined) emit(CSV_COLUMNS.join(","));
      const json: unknown[] = [];
      let n = 0;
      for (;;) {
        const batch = await store.logs({ ...f, limit: Math.min(PAGE, limit === undefined ? PAGE : limit - n) });
        for (const r of batch) {
          if (csv !== undefined) emit(csvRow(r, labels.get(r.device) ?? null));
          else if (values.json) json.push(recordJson(r, labels.get(r.device) ?? null));
          else io.out(recordLine(r));
        }
        n += batch.length;
        if (batch.length < PAGE || (limit !== undefined && n >= limit)) break;
        const last = batch[batch.length - 1];
        f.after = { time: last.time, device: last.device, seq: last.seq };
      }
      if (values.json && csv === undefined) io.out(JSON.stringify(json));
      if (csv !== undefined && csv !== "-") io.err(`wrote ${n} record(s) to ${csv}`);
      else if (!values.json && csv === undefined) io.err(`${n} record(s)`);
      return 0;
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const PAGE = 10000;

/** Every stored page against its device's key, and its stored records against the page. */
async function verifyLogs(store: FleetStore, io: Io, json: boolean): Promise<number> {
  // A key that is not the device's own (its id is the key's kid) would make any page "verify".
  const keys = new Map((await store.devices()).filter((d) => hex(kidOf(unhex(d.publicKey))) === d.id).map((d) => [d.id, d.publicKey]));
  let pages = 0;
  let records = 0;
  const bad: { page: number; device: string; why: string }[] = [];
  for (let after = 0; ; ) {
    const batch = await store.pages(after, 500);
    if (batch.length === 0) break;
    for (const p of batch) {
      after = p.id;
      pages++;
      try {
        const page = decodeLogPage(p.answer, p.device, keys.get(p.device) ?? "", p.nonce);
        const stored = await store.recordsOfPage(p.id);
        records += stored.length;
        if (page.records.length !== p.records) bad.push({ page: p.id, device: p.device, why: `holds ${page.records.length} records, ${p.records} were counted` });
        else if (!storedAreSigned(page.records, stored)) bad.push({ page: p.id, device: p.device, why: "a stored record differs from the signed page (edited in the database)" });
      } catch (e) {
        if (!(e instanceof DeviceError)) throw e;
        bad.push({ page: p.id, device: p.device, why: e.message });
      }
    }
  }
  const unpaged = await store.unpagedCount();
  if (json) io.out(JSON.stringify({ pages, records, bad, unsignedRecords: unpaged }));
  else {
    for (const b of bad) io.err(`page ${b.page} of ${b.device}: ${b.why}`);
    io.out(`${pages} signed page(s), ${records} record(s) checked against the device keys: ${bad.length === 0 ? "all verify" : `${bad.length} page(s) FAILED`}`);
    if (unpaged > 0) io.out(`${unpaged} record(s) were imported without their signed page (fleet import): not evidence`);
  }
  return bad.length === 0 ? 0 : 1;
}
