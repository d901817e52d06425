// The audit log against the review's findings (issue 14): a keyed NIK hash
// under a device secret, NIK logging as a policy, junk counted in runs that
// never evict verdicts on credentials, and append-only writes.
import { describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { AuditLog, RECORD_SIZE } from "../firmware/app/audit-log";
import { PAGE_RECORDS } from "../firmware/app/record-ring";
import type { Outcome } from "../firmware/core/outcome";
import { nodeRandom } from "../firmware/targets/node/random";
import { issuePresentation } from "../host/issuer/issuer";
import { SimDevice } from "../sim/device";
import { SimFlash } from "../sim/flash";
import { HOLDER, makeWorld } from "../sim/world";
import { T0 } from "./support/fixtures";

const NIK = "3201014512900001";
const ok = (nik = NIK): Outcome => ({ verdict: "OK", warnings: [], kid: "0102030405060708", nik });
const junk: Outcome = { verdict: "NOT_A_CREDENTIAL", warnings: [] };
const damaged: Outcome = { verdict: "MALFORMED", warnings: [] };

/** A flash that records, for every write, whether it landed on bytes that were erased (0xFF). */
class WatchedFlash extends SimFlash {
  writes: Array<{ name: string; offset: number; length: number; ontoErased: boolean }> = [];
  override write(name: string, data: Uint8Array, offset: number): void {
    const old = this.files[name];
    const ontoErased = old !== undefined && offset + data.length <= old.length && old.subarray(offset, offset + data.length).every((b) => b === 0xff);
    this.writes.push({ name, offset, length: data.length, ontoErased });
    super.write(name, data, offset);
  }
}

describe("NIK in the audit log", () => {
  it("is 8 bytes of HMAC-SHA-512 under a 32-byte device secret kept in flash", () => {
    const flash = new SimFlash();
    const log = new AuditLog(flash, nodeRandom, 16, "audit");
    const e = log.append(T0, 0, ok());
    const secret = flash.files["audit.key"];
    expect(secret).toHaveLength(32);
    expect(e.nikHash).toBe(createHmac("sha512", secret).update(NIK).digest("hex").slice(0, 16));
    // The old scheme, SHA-512(salt || NIK), has no place here: no salt file, no value a region search could find.
    expect(flash.files["audit.salt"]).toBeUndefined();
    // Same person, same device: linkable there (the audit's purpose); another device: unrelated.
    expect(new AuditLog(flash, nodeRandom, 16, "audit").nikHash(NIK)).toBe(e.nikHash);
    expect(new AuditLog(new SimFlash(), nodeRandom, 16, "audit").nikHash(NIK)).not.toBe(e.nikHash);
  });

  it("the old ring and its readable salt are removed at boot", () => {
    const flash = new SimFlash();
    flash.files["audit.salt"] = new Uint8Array(16);
    flash.files["audit.log"] = new Uint8Array(64);
    new AuditLog(flash, nodeRandom, 16, "audit");
    expect(Object.keys(flash.files).sort()).toEqual(["audit.key"]);
  });

  it('policy "off": no identity in the log at all, and no secret is made', () => {
    const flash = new SimFlash();
    const log = new AuditLog(flash, nodeRandom, 16, "audit", { nik: "off" });
    log.append(T0, 0, ok());
    log.append(T0 + 1, 0, ok("3171010101800002"));
    expect(log.entries().map((e) => e.nikHash)).toEqual(["0000000000000000", "0000000000000000"]);
    expect(flash.files["audit.key"]).toBeUndefined();
    const raw = Buffer.concat(Object.values(flash.files).map((f) => Buffer.from(f)));
    // The records of two different people differ only in seq, time and CRC.
    const recs = Object.values(flash.files).filter((f) => f.length > 4)[0];
    expect(Buffer.from(recs.subarray(4 + 8, 4 + 28))).toEqual(Buffer.from(recs.subarray(4 + 32 + 8, 4 + 32 + 28)));
    expect(raw.includes(Buffer.from(NIK))).toBe(false);
  });

  it('a device built with auditNik "off" logs no NIK hash (build config to app)', () => {
    const world = makeWorld(T0);
    const d = new SimDevice({ roots: world.roots, buildTime: T0 - 86400, version: "t", lang: "en", auditNik: "off" });
    d.provision(world, T0);
    expect(d.scan(issuePresentation(world.qrSigner, HOLDER, { iat: T0 })).color).toBe("green");
    expect(d.app.audit.entries().filter((e) => e.source === 0)[0]).toMatchObject({ verdict: "OK", nikHash: "0000000000000000" });
  });
});

describe("junk never pushes verdicts out", () => {
  it("256 scans of anything leave every verdict on a credential in the log (the finding)", () => {
    const flash = new SimFlash();
    const log = new AuditLog(flash, nodeRandom, 8, "audit");
    for (let i = 0; i < 8; i++) log.append(T0 + i, 0, ok());
    for (let i = 0; i < 256; i++) log.append(T0 + 100 + i, 0, junk);
    const all = new AuditLog(flash, nodeRandom, 8, "audit"); // after a reboot too
    log.append(T0 + 400, 0, ok()); // ends the run: written now
    const entries = log.entries();
    expect(entries.filter((e) => e.verdict === "OK")).toHaveLength(8);
    expect(entries.filter((e) => e.verdict === "NOT_A_CREDENTIAL")).toEqual([
      expect.objectContaining({ seq: 9, time: T0 + 100, count: 256 }),
    ]);
    expect(all.entries().filter((e) => e.verdict === "OK")).toHaveLength(8);
  });

  it("one record per run; runs alternating with verdicts live in their own ring", () => {
    const flash = new SimFlash();
    const log = new AuditLog(flash, nodeRandom, 8, "audit", { runCapacity: 4 });
    for (let i = 0; i < 50; i++) {
      log.append(T0 + 10 * i, 0, ok());
      for (let k = 0; k <= i % 3; k++) log.append(T0 + 10 * i + 1 + k, 0, k === 2 ? damaged : junk);
    }
    const entries = new AuditLog(flash, nodeRandom, 8, "audit", { runCapacity: 4 }).entries();
    const oks = entries.filter((e) => e.verdict === "OK");
    expect(oks).toHaveLength(8); // the last 8 verdicts, whatever the junk
    expect(oks.map((e) => e.time)).toEqual([42, 43, 44, 45, 46, 47, 48, 49].map((i) => T0 + 10 * i));
    const runs = entries.filter((e) => e.verdict !== "OK");
    expect(runs.length).toBeLessThanOrEqual(4);
    for (const r of runs) expect(r.count).toBeGreaterThanOrEqual(1);
    // Runs split where the verdict changes: i = 47 (i % 3 = 2) gave junk x2 then one MALFORMED.
    expect(log.entries().filter((e) => e.time > T0 + 470 && e.time < T0 + 480).map((e) => [e.verdict, e.count])).toEqual([
      ["NOT_A_CREDENTIAL", 2],
      ["MALFORMED", 1],
    ]);
  });

  it("the run in progress shows in the LOG export before it is written", () => {
    const log = new AuditLog(new SimFlash(), nodeRandom, 8, "audit");
    log.append(T0, 0, junk);
    log.append(T0 + 1, 0, junk);
    expect(log.entries()).toEqual([expect.objectContaining({ seq: 1, verdict: "NOT_A_CREDENTIAL", count: 2 })]);
  });

  it("a MALFORMED code that named a signer is a verdict, not junk", () => {
    const log = new AuditLog(new SimFlash(), nodeRandom, 8, "audit");
    log.append(T0, 0, { verdict: "MALFORMED", warnings: [], kid: "0102030405060708" });
    log.append(T0, 0, { verdict: "MALFORMED", warnings: [], kid: "0102030405060708" });
    expect(log.entries().map((e) => e.count)).toEqual([1, 1]);
  });
});

describe("append-only flash writes", () => {
  it("a scan costs one 32-byte record written onto erased flash, plus a page remade once per 16 records", () => {
    const flash = new WatchedFlash();
    const log = new AuditLog(flash, nodeRandom, 256, "audit");
    flash.writes = [];
    const before = flash.bytesWritten;
    const scans = 1000;
    for (let i = 0; i < scans; i++) log.append(T0 + i, 0, i % 4 === 3 ? junk : ok());
    const records = flash.writes.filter((w) => w.offset > 0);
    const pages = flash.writes.filter((w) => w.offset === 0);
    expect(records.every((w) => w.length === RECORD_SIZE && w.ontoErased)).toBe(true);
    expect(pages.every((w) => w.length === 4 + PAGE_RECORDS * RECORD_SIZE)).toBe(true);
    const perScan = (flash.bytesWritten - before) / scans;
    // 750 verdicts and 250 runs of one, the last still open (in RAM): 999 records.
    expect(records).toHaveLength(999);
    expect(pages.length).toBeLessThanOrEqual(Math.ceil(750 / PAGE_RECORDS) + Math.ceil(250 / PAGE_RECORDS) + 1);
    expect(perScan).toBeLessThan(70);
    // The old ring rewrote its whole 8 KB file on Espruino for each of these.
    expect(perScan).toBeLessThan(8192 / 100);
  });

  it("a long run of junk costs no flash until it ends", () => {
    const flash = new SimFlash();
    const log = new AuditLog(flash, nodeRandom, 16, "audit");
    const before = flash.bytesWritten;
    for (let i = 0; i < 5000; i++) log.append(T0, 0, junk);
    expect(flash.bytesWritten).toBe(before);
  });
});
