// Every input of pindai fleet is bounded and shape-checked before use: the
// inputs that hung or were taken silently before the database (issue 23:
// /dev/zero, /dev/urandom, a FIFO, an inventory with no devices, a corrupt
// log entry, a non-hex public key) end with exit 2 and one line; a good
// inventory comes in once, however often it is imported.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newKey } from "../host/issuer/keyfile";
import { runCli } from "./support/cli";

const dir = mkdtempSync(join(tmpdir(), "pindai-fleet-input-"));
process.env.XDG_DATA_HOME = join(dir, "data");
const db = join(dir, "db");
const fleet = (...a: string[]) => runCli("fleet", ...a, "--db", db);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function inventory(n: number) {
  const devices: Record<string, unknown> = {};
  const logs: Record<string, unknown[]> = {};
  for (let i = 0; i < n; i++) {
    const k = newKey(["admin"], 0, 0);
    devices[k.kid] = { publicKey: k.publicKey, port: `/dev/ttyUSB${i}`, enrolled: 1_790_000_000, version: "0.1.0" };
    logs[k.kid] = [1, 2, 3].map((seq) => ({ device: k.kid, seq, time: 1_790_000_000 + seq, verdict: seq === 3 ? "BAD_SIGNATURE" : "OK", source: "qr", kid: "00112233aabbccdd", nikHash: "0123456789abcdef", warnings: seq === 2 ? 4 : 0 }));
  }
  return { type: "pindai-fleet", devices, logs };
}

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
}

/** Exit 2 (1 for a file that cannot be read: the one rule of pindai --help) and exactly one line on stderr, nothing on stdout. */
function refused(r: { code: number; out: string; err: string }, pattern: RegExp, code: 1 | 2 = 2) {
  expect(r.code, r.out + r.err).toBe(code);
  expect(r.err.split("\n")).toHaveLength(1);
  expect(r.err).toMatch(pattern);
  expect(r.out).toBe("");
}

describe("pindai fleet: bad inputs end with exit 2 (1: a file that cannot be read) and one line, never a hang", () => {
  it("device files and pipes are refused before a byte is read: /dev/zero, /dev/urandom, a FIFO", async () => {
    refused(await fleet("import", "/dev/zero"), /inventory \/dev\/zero: not a regular file/, 1);
    refused(await fleet("import", "/dev/urandom"), /not a regular file/, 1);
    const fifo = join(dir, "fifo");
    spawnSync("mkfifo", [fifo]);
    refused(await fleet("import", fifo), /not a regular file/, 1);
    refused(await fleet("import", dir), /it is a folder/, 1);
    // The inventory file of earlier versions is no option any more: one line that says what to do.
    refused(await fleet("enroll", "--inventory", "/dev/zero", "--ports", "/dev/ttyUSB0"), /became a database .*pindai fleet import/);
    refused(await runCli("fleet", "export", "--inventory", "/dev/zero", "--csv", "x.csv"), /now "fleet logs --csv FILE"/);
    refused(await fleet("enroll", "--retry", "/dev/urandom"), /retry list \/dev\/urandom: not a regular file/, 1);
  });

  it("an inventory's shape is checked entry by entry; one bad entry refuses the file and names it", async () => {
    const good = inventory(2);
    const [id0] = Object.keys(good.devices);
    refused(await fleet("import", file("empty.json", { type: "pindai-fleet", devices: {}, logs: {} })), /names no device: nothing to import/);
    refused(await fleet("import", file("list.json", { type: "pindai-fleet", devices: [], logs: {} })), /devices: not an object/);
    refused(await fleet("import", file("other.json", { hello: 1 })), /not a pindai fleet inventory/);
    refused(await fleet("import", file("text.json", "not json {")), /not JSON/);
    const nonHex = structuredClone(good);
    (nonHex.devices[id0] as { publicKey: string }).publicKey = "zz".repeat(32);
    refused(await fleet("import", file("nonhex.json", nonHex)), new RegExp(`devices\\["${id0}"\\]: publicKey is not 64 lowercase hex digits`));
    const swapped = structuredClone(good);
    const [a, b] = Object.keys(good.devices);
    (swapped.devices[a] as { publicKey: string }).publicKey = (good.devices[b] as { publicKey: string }).publicKey;
    refused(await fleet("import", file("swapped.json", swapped)), /the id is not the kid of its public key/);
    const corrupt = structuredClone(good);
    (corrupt.logs[id0][1] as { verdict: string }).verdict = "TOTALLY_FINE";
    refused(await fleet("import", file("corrupt.json", corrupt)), new RegExp(`logs\\["${id0}"\\]\\[1\\]: verdict TOTALLY_FINE is not a verdict`));
    const badSeq = structuredClone(good);
    (badSeq.logs[id0][0] as { seq: unknown }).seq = "1; DROP TABLE devices";
    refused(await fleet("import", file("seq.json", badSeq)), /\[0\]: seq is not a whole number/);
    // Nothing of the refused files reached the database.
    expect(JSON.parse((await fleet("list", "--json")).out)).toEqual([]);
  }, 60_000);

  it("a good inventory comes in once: devices, records (warnings by name), no signed pages claimed", async () => {
    const inv = inventory(3);
    const path = file("fleet.json", inv);
    const r = await fleet("import", path);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/imported 3 device\(s\) \(3 new\) and 9 record\(s\) \(9 new/);
    expect((await fleet("import", path)).out).toMatch(/\(0 new\) and 9 record\(s\) \(0 new/);
    const list = JSON.parse((await fleet("list", "--json")).out);
    expect(list.map((d: { id: string }) => d.id).sort()).toEqual(Object.keys(inv.devices).sort());
    expect(list[0].enrolledAt).toBe(1_790_000_000);
    const logs = JSON.parse((await fleet("logs", "--json", "--verdict", "OK")).out);
    expect(logs).toHaveLength(6);
    expect(logs.filter((l: { warnings: string[] }) => l.warnings.length > 0).map((l: { warnings: string[] }) => l.warnings)).toEqual([["ALREADY_USED"], ["ALREADY_USED"], ["ALREADY_USED"]]);
    const v = await fleet("verify-logs");
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/9 record\(s\) were imported without their signed page \(fleet import\): not evidence/);
    // A revoked device's records are not taken from an inventory either.
    const [stolen] = Object.keys(inv.devices);
    expect((await fleet("revoke", "--device", stolen)).code).toBe(0);
    inv.logs[stolen].push({ ...(inv.logs[stolen][0] as object), seq: 99 });
    const after = await fleet("import", file("fleet2.json", inv));
    expect(after.out).toMatch(/1 revoked and skipped\) and 6 record\(s\) \(0 new/);
    // Another key under a known id refuses the whole file before anything is written.
    const other = structuredClone(inv);
    const fresh = newKey(["admin"], 0, 0);
    other.devices[fresh.kid] = { publicKey: fresh.publicKey };
    const [, second] = Object.keys(inv.devices);
    (other.devices[second] as { publicKey: string }).publicKey = fresh.publicKey;
    refused(await fleet("import", file("other-key.json", other)), /the id is not the kid of its public key/);
  }, 60_000);

  it("addresses, ids, times and verdicts are checked before anything connects", async () => {
    refused(await fleet("enroll", "--ports", "not a port"), /--ports: "not a port" is not a port path or an address/);
    refused(await fleet("enroll", "--ports", "tcp://127.0.0.1:99999"), /port 99999 is not 1 to 65535/);
    refused(await fleet("enroll", "--ports", "tcp://127.0.0.1:10-1"), /ends before it starts/);
    refused(await fleet("enroll", "--ports", "tcp://127.0.0.1:1-200000"), /port 200000|at most/);
    refused(await fleet("enroll"), /enroll: give --ports/);
    refused(await fleet("revoke", "--device", "xyz"), /--device: "xyz" is not a device id/);
    refused(await fleet("logs", "--since", "yesterday"), /--since: expected unix seconds or an ISO date/);
    refused(await fleet("logs", "--verdict", "MAYBE"), /--verdict: "MAYBE" is not a verdict/);
    refused(await fleet("set-time", "--ports", "/dev/ttyUSB0"), /set-time is signed: give --admin-key FILE/);
    refused(await fleet("push-keyset", "--ports", "/dev/ttyUSB0", "--keyset", "/dev/zero"), /key set \/dev\/zero: not a regular file/, 1);
    refused(await fleet("push-keyset", "--ports", "/dev/ttyUSB0", "--keyset", file("ks.cbor", "garbage")), /is not a signed key set/);
    refused(await runCli("fleet", "list", "--db", file("db-file", "x")), /fleet database folder .*db-file: /);
    refused(await fleet("frobnicate"), /unknown subcommand "frobnicate"/);
    // An embedded database is one process's at a time; a lock left by a process that is gone is taken over.
    writeFileSync(join(db, "pindai.lock"), String(process.pid));
    refused(await fleet("list"), new RegExp(`the fleet database .* is in use by process ${process.pid}`));
    writeFileSync(join(db, "pindai.lock"), "999999999");
    expect((await fleet("list")).code).toBe(0);
  }, 60_000);
});
