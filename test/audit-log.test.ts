// The audit log against the review's findings (issue 14): a keyed NIK hash
// under a device secret, NIK logging as a policy, junk counted in runs that
// never evict verdicts on credentials, and append-only writes.
import { describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { AuditLog, RECORD_SIZE, UNTRUSTED_BIT } from "../firmware/app/audit-log";
import { PAGE_RECORDS, type RecordCodec, RecordRing } from "../firmware/app/record-ring";
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

describe("the log read a page at a time (a board cannot hold it whole)", () => {
  /** A full log: verdicts past the ring's capacity (its oldest page being remade) and runs between them. */
  function fullLog(flash: SimFlash): AuditLog {
    const log = new AuditLog(flash, nodeRandom, 40, "audit", { runCapacity: 8 });
    for (let i = 0; i < 75; i++) {
      log.append(T0 + 10 * i, 0, i % 7 === 3 ? { ...ok(), warnings: ["CLOCK_NOT_TRUSTED"] } : ok());
      if (i % 4 === 0) log.append(T0 + 10 * i + 1, 0, junk);
    }
    log.append(T0 + 2000, 0, junk); // a run in progress, not yet in flash
    return log;
  }

  it("pages of any size give exactly the records entries() gives, in order; count and last number agree", () => {
    const log = fullLog(new SimFlash());
    const all = log.entries();
    expect(all.length).toBeGreaterThan(40);
    expect(log.logCount()).toBe(all.length);
    expect(log.lastSeq()).toBe(all[all.length - 1].seq);
    for (const size of [1, 5, 32, 1000]) {
      const paged: typeof all = [];
      for (let from = 0; ; ) {
        const p = log.pageFrom(from, size);
        expect(p.length).toBeLessThanOrEqual(size);
        paged.push(...p);
        if (p.length < size) break;
        from = p[p.length - 1].seq + 1;
      }
      expect(paged).toEqual(all);
    }
    // From a number inside the log: the records from there on, oldest first.
    const mid = all[17].seq;
    expect(log.pageFrom(mid, 3)).toEqual(all.slice(17, 20));
    expect(log.pageFrom(all[all.length - 1].seq + 1, 32)).toEqual([]);
  });

  it("decodes only the page it returns; counting decodes nothing; each decodes one record at a time", () => {
    // A ring of 8-byte records (number, value) with a codec that counts what it decodes.
    let decoded = 0;
    const codec: RecordCodec<{ seq: number; value: number }> = {
      size: 8,
      seqOf: (b, off) => (b[off] === 0xff && b[off + 1] === 0xff ? undefined : b[off] + 256 * b[off + 1]),
      decode: (b, off) => {
        decoded++;
        return { seq: b[off] + 256 * b[off + 1], value: b[off + 4] };
      },
    };
    const flash = new SimFlash();
    const ring = new RecordRing(flash, "r.", 40, codec, 16);
    for (let seq = 1; seq <= 100; seq++) ring.append(Uint8Array.from([seq & 255, seq >> 8, 0, 0, seq % 200, 0, 0, 0]), seq);
    decoded = 0;
    expect(ring.ringCount()).toBe(40);
    expect(decoded).toBe(0);
    expect(ring.pageFrom(70, 5).map((r) => r.seq)).toEqual([70, 71, 72, 73, 74]);
    expect(decoded).toBe(5);
    decoded = 0;
    // Past the capacity: the page starts at the oldest of the newest 40, not at a record still in flash.
    expect(ring.pageFrom(0, 3).map((r) => r.seq)).toEqual([61, 62, 63]);
    expect(decoded).toBe(3);
    decoded = 0;
    const seen: number[] = [];
    ring.each((r, seq) => seen.push(seq));
    expect(decoded).toBe(40);
    expect(seen.sort((a, b) => a - b)).toEqual(ring.entries().map((r) => r.seq));
  });

  it("the clock floor starts from the newest record made with a trusted clock, read without the whole log", () => {
    const flash = new SimFlash();
    const log = fullLog(flash);
    log.append(T0 + 3000, 0, { ...ok(), warnings: ["CLOCK_NOT_TRUSTED"] }); // ends the run; the newest, untrusted
    const all = log.entries();
    const expected = [...all].reverse().find((e) => (e.warnings & UNTRUSTED_BIT) === 0)!;
    expect(expected.seq).toBeLessThan(all[all.length - 1].seq);
    expect(log.lastTrustedTime()).toBe(expected.time);
    expect(new AuditLog(flash, nodeRandom, 40, "audit", { runCapacity: 8 }).lastTrustedTime()).toBe(expected.time); // after a reboot
  });
});
