// Flash writes that survive a power cut at any byte: the audit log ring and
// the key set store, cut at every byte offset of a write, then "rebooted".
import { describe, expect, it } from "vitest";
import { AuditLog, RECORD_SIZE } from "../firmware/app/audit-log";
import { PAGE_RECORDS } from "../firmware/app/record-ring";
import { KeysetStore } from "../firmware/app/keyset-store";
import { OLD_REPLAY_FILE, ReplayStore } from "../firmware/app/replay-store";
import type { Outcome } from "../firmware/core/outcome";
import { nodeRandom } from "../firmware/targets/node/random";
import { PowerCut, SimFlash } from "../sim/flash";
import { T0, makeKey, rootOf, signKeyset } from "./support/fixtures";

const outcome = (i: number): Outcome => ({
  verdict: i % 3 === 0 ? "OK" : "EXPIRED",
  warnings: [],
  kid: "0102030405060708",
  nik: i % 3 === 0 ? "3201014512900001" : undefined,
});

function cloneFlash(f: SimFlash): SimFlash {
  const c = new SimFlash();
  for (const [k, v] of Object.entries(f.files)) c.files[k] = v.slice();
  return c;
}

/** Whether two flashes hold the same files, byte for byte. */
function sameFlash(a: SimFlash, b: SimFlash): boolean {
  const names = Object.keys(a.files).sort();
  if (names.join() !== Object.keys(b.files).sort().join()) return false;
  return names.every((n) => Buffer.from(a.files[n]).equals(Buffer.from(b.files[n])));
}

/**
 * Cut `log`'s next append (`time`, `outcome(i)`) after each byte of it, reboot, and check what is
 * read back. The new record may be there only where the bytes not written were the erased value
 * its complete write leaves too (its CRC's last byte 0xFF: 1 in 256): the flash then holds the
 * complete append, byte for byte. Returns the cuts after which it was there.
 */
function cutEveryByte(base: SimFlash, capacity: number, time: number, i: number): number[] {
  const kept = new AuditLog(base, nodeRandom, capacity, "audit").entries();
  const before = kept.length === 0 ? 0 : kept[kept.length - 1].seq;
  const written = cloneFlash(base);
  const w0 = written.bytesWritten;
  new AuditLog(written, nodeRandom, capacity, "audit").append(time, 1, outcome(i));
  const total = written.bytesWritten - w0;
  expect(total).toBe(before % PAGE_RECORDS === 0 ? 4 + PAGE_RECORDS * RECORD_SIZE + RECORD_SIZE : RECORD_SIZE);
  const whole: number[] = [];
  for (let cut = 0; cut < total; cut++) {
    const flash = cloneFlash(base);
    const l = new AuditLog(flash, nodeRandom, capacity, "audit");
    flash.cutAfter = cut;
    expect(() => l.append(time, 1, outcome(i))).toThrow(PowerCut);
    flash.cutAfter = undefined;
    // Reboot: every record read back is one that was written, byte for byte; the new one only
    // where the flash holds its complete append; only the oldest page's records may be gone.
    const after = new AuditLog(flash, nodeRandom, capacity, "audit").entries();
    const bySeq = new Map(kept.map((e) => [e.seq, e]));
    const survived = after.some((e) => e.seq === before + 1);
    if (survived) {
      expect(sameFlash(flash, written), `cut after ${cut} bytes: the new record read back from a torn write`).toBe(true);
      whole.push(cut);
    }
    for (const e of after) if (e.seq !== before + 1) expect(e, `cut after ${cut} bytes`).toEqual(bySeq.get(e.seq));
    const lost = kept.filter((e) => !after.some((x) => x.seq === e.seq)).map((e) => e.seq);
    expect(lost.every((s) => s <= before - capacity), `cut after ${cut}: lost ${lost}`).toBe(true);
    // And the log goes on after the torn record.
    const again = new AuditLog(flash, nodeRandom, capacity, "audit");
    again.append(time + 1, 0, outcome(100));
    const next = again.entries();
    const seq = before + (survived ? 2 : 1);
    expect(next[next.length - 1]).toMatchObject({ seq, time: time + 1 });
    expect(next.length).toBe(Math.min(capacity, seq));
  }
  // A complete append is kept.
  const all = new AuditLog(written, nodeRandom, capacity, "audit").entries();
  expect(all[all.length - 1]).toMatchObject({ seq: before + 1, time, source: 1 });
  return whole;
}

describe("audit log: power cut at every byte of an append", () => {
  // Capacity 32 in pages of 16 records: 3 page files. The states: inside a page
  // (a record lands in erased bytes), and a full ring whose next record first
  // remakes the oldest page (516 bytes) and then writes its first slot.
  for (const [label, before] of [["inside a page", 5], ["a full ring: the oldest page is remade", 48]] as const) {
    it(label, () => {
      const base = new SimFlash();
      const log = new AuditLog(base, nodeRandom, 32, "audit");
      for (let i = 0; i < before; i++) log.append(T0 + i, 0, outcome(i));
      const whole = cutEveryByte(base, 32, T0 + 99, 99);
      // A cut that finds the record whole left at most its last bytes unwritten (cutEveryByte checked they were 0xFF).
      expect(whole.every((c) => c >= RECORD_SIZE - 1)).toBe(true);
    });
  }

  it("a record whose CRC ends in 0xFF, the erased value: cut before that byte, it is whole and read back", () => {
    const base = new SimFlash();
    const log = new AuditLog(base, nodeRandom, 32, "audit");
    for (let i = 0; i < 5; i++) log.append(T0 + i, 0, outcome(i));
    // The time whose record's last byte is 0xFF (1 in 256 of them; the device secret is random).
    let time = T0 + 99;
    for (;; time++) {
      const w = cloneFlash(base);
      new AuditLog(w, nodeRandom, 32, "audit").append(time, 1, outcome(99));
      // The page file written: the record starts at its first changed byte (a seq byte, never 0xFF).
      const page = Object.keys(w.files).find((n) => !Buffer.from(w.files[n]).equals(Buffer.from(base.files[n])))!;
      const at = w.files[page].findIndex((b, k) => b !== base.files[page][k]);
      if (w.files[page][at + RECORD_SIZE - 1] === 0xff) break;
      if (time > T0 + 99 + 20_000) throw new Error("no record with a last byte of 0xFF in 20,000 times");
    }
    expect(cutEveryByte(base, 32, time, 99)).toEqual([RECORD_SIZE - 1]);
  });

  it("a ring of 8 keeps the last 8 records in order", () => {
    const flash = new SimFlash();
    const log = new AuditLog(flash, nodeRandom, 8, "audit");
    for (let i = 0; i < 40; i++) log.append(T0 + i, 0, outcome(i));
    expect(log.entries().map((e) => e.seq)).toEqual([33, 34, 35, 36, 37, 38, 39, 40]);
    expect(new AuditLog(flash, nodeRandom, 8, "audit").entries().map((e) => e.seq)).toEqual([33, 34, 35, 36, 37, 38, 39, 40]);
  });
});

describe("key set store: power cut at every byte of an install", () => {
  const root = makeKey(["root"]);
  const issuer = makeKey(["qr"]);
  const v1 = signKeyset(root, [issuer], { version: 1 });
  const v2 = signKeyset(root, [issuer], { version: 2, skew: 10 });
  const v3 = signKeyset(root, [issuer], { version: 3, skew: 20 });

  it("leaves the old set or the new one, never a mix and never none", () => {
    const base = new SimFlash();
    const store = new KeysetStore(base, [rootOf(root)]);
    expect(store.install(v1)).toMatchObject({ ok: true, outcome: "INSTALLED", version: 1 });
    expect(store.install(v2)).toMatchObject({ ok: true, version: 2 }); // now both slots are in use
    const total = v3.length + 8;
    const floorWrite = 12; // then the version floor rises (app/flash-record.ts)
    let sawOld = 0;
    let sawNew = 0;
    for (let cut = 0; cut <= total + floorWrite; cut++) {
      const flash = cloneFlash(base);
      const s = new KeysetStore(flash, [rootOf(root)]);
      flash.cutAfter = cut;
      try {
        s.install(v3);
      } catch (e) {
        expect(e).toBeInstanceOf(PowerCut);
      }
      flash.cutAfter = undefined;
      const after = new KeysetStore(flash, [rootOf(root)]).current;
      expect(after, `cut after ${cut} bytes`).toBeDefined();
      expect([2, 3]).toContain(after!.version);
      if (after!.version === 2) {
        expect(after!.policy.skew).toBe(10);
        sawOld++;
      } else {
        expect(after!.policy.skew).toBe(20);
        sawNew++;
      }
    }
    expect(sawOld).toBe(total); // every cut before the last byte keeps the old set
    expect(sawNew).toBe(1 + floorWrite);
  });

  it("a flash that does not keep the new set's bytes: WRITE_FAILED, and the old set stays, in RAM and after a boot", () => {
    const base = new SimFlash();
    const store = new KeysetStore(base, [rootOf(root)]);
    expect(store.install(v2)).toMatchObject({ ok: true, version: 2 });
    // A worn cell: the slot's bytes come back with one bit flipped (the write itself "succeeds").
    const worn = {
      read: (n: string) => base.read(n),
      erase: (n: string) => base.erase(n),
      write: (n: string, d: Uint8Array, off: number) => {
        const b = d.slice();
        if (n.startsWith("keyset.") && b.length > 100) b[100] ^= 4;
        base.write(n, b, off);
      },
    };
    const s = new KeysetStore(worn, [rootOf(root)]);
    expect(s.install(v3)).toMatchObject({ ok: false, reason: expect.stringMatching(/^WRITE_FAILED/) });
    expect(s.current!.version).toBe(2);
    expect(s.current!.policy.skew).toBe(10);
    expect(new KeysetStore(base, [rootOf(root)]).current!.version).toBe(2);
    // The same flash keeping its bytes: installed, and what a boot loads.
    expect(new KeysetStore(base, [rootOf(root)]).install(v3)).toMatchObject({ ok: true, outcome: "INSTALLED", version: 3 });
    expect(new KeysetStore(base, [rootOf(root)]).current!.policy.skew).toBe(20);
  });

  it("refuses older versions and treats the same bytes as a no-op", () => {
    const store = new KeysetStore(new SimFlash(), [rootOf(root)]);
    store.install(v2);
    expect(store.install(v1)).toMatchObject({ ok: false });
    expect(store.install(v2)).toMatchObject({ ok: true, outcome: "SAME" });
    expect(store.install(signKeyset(makeKey(["root"]), [issuer], { version: 9 }))).toMatchObject({ ok: false });
  });

  it("a slot damaged in flash is ignored, and never brings back an older key set", () => {
    const flash = new SimFlash();
    const store = new KeysetStore(flash, [rootOf(root)]);
    store.install(v1);
    const slot0 = flash.files["keyset.0"].slice();
    store.install(v2);
    // v1 went into slot 0 and was wiped once v2 (slot 1) was committed.
    expect(flash.files["keyset.0"]).toBeUndefined();
    expect(new KeysetStore(flash, [rootOf(root)]).current!.version).toBe(2);
    // The old attack: erase the newer slot so the older set (with a key the newer one revoked) comes back.
    flash.files["keyset.0"] = slot0;
    delete flash.files["keyset.1"];
    const after = new KeysetStore(flash, [rootOf(root)]);
    expect(after.current).toBeUndefined(); // below the version floor: no key set, never v1
    expect(after.install(v1)).toMatchObject({ ok: false, reason: expect.stringMatching(/below this device's floor 2/) });
    expect(after.install(v2)).toMatchObject({ ok: true, outcome: "INSTALLED" });
  });

  it("a minimum version compiled into the image refuses older key sets", () => {
    const store = new KeysetStore(new SimFlash(), [rootOf(root)], 2);
    expect(store.install(v1)).toMatchObject({ ok: false });
    expect(store.install(v2)).toMatchObject({ ok: true, outcome: "INSTALLED" });
  });
});

describe("replay store (issue 21, finding 6): an accepted code's flash writes", () => {
  /** Counts the bytes a write programs: 0xFF written onto erased flash changes no bit. */
  function counting(inner: SimFlash) {
    let programmed = 0;
    const storage = {
      read: (n: string) => inner.read(n),
      erase: (n: string) => inner.erase(n),
      write(n: string, d: Uint8Array, off: number) {
        programmed += d.filter((b) => b !== 0xff).length;
        inner.write(n, d, off);
      },
    };
    return { storage, programmed: () => programmed };
  }

  it("at most 64 bytes programmed per code, whatever the ring's state (3,000 codes through a ring of 1,024)", () => {
    const flash = new SimFlash();
    const c = counting(flash);
    const store = new ReplayStore(c.storage);
    let worst = 0;
    let before = 0;
    for (let i = 0; i < 3000; i++) {
      store.remember(i.toString(16).padStart(16, "0"), T0 + 100);
      worst = Math.max(worst, c.programmed() - before);
      before = c.programmed();
    }
    expect(worst).toBeLessThanOrEqual(64);
    expect(worst).toBe(4 + 20); // a record, and once per 64 codes a page's 4-byte header
    // Every byte written (0xFF included, as a file system counts them): 20 per code plus a page per 64.
    expect(flash.bytesWritten / 3000).toBeLessThan(20 + (4 + 64 * 20) / 64 + 1);
    // The newest 1,024 codes are remembered after a reboot; the oldest are gone.
    const after = new ReplayStore(flash);
    expect(after.seen((2999).toString(16).padStart(16, "0"), T0)).toBe(true);
    expect(after.seen((3000 - 1024).toString(16).padStart(16, "0"), T0)).toBe(true);
    expect(after.seen((100).toString(16).padStart(16, "0"), T0)).toBe(false);
  });

  it("earlier firmware's whole-file replay.db (rewritten per code: 20,480 bytes once full) is removed at boot", () => {
    const flash = new SimFlash();
    flash.files[OLD_REPLAY_FILE] = new Uint8Array(20480);
    new ReplayStore(flash);
    expect(flash.files[OLD_REPLAY_FILE]).toBeUndefined();
  });

  it("a power cut at every byte of a page remake and its first record keeps every older code", () => {
    const base = new SimFlash();
    const s = new ReplayStore(base, 128);
    for (let i = 0; i < 192; i++) s.remember(i.toString(16).padStart(16, "0"), T0 + 100); // 3 pages full: the next remakes one
    const w0 = base.bytesWritten;
    new ReplayStore(cloneFlash(base), 128).remember("ff".repeat(8), T0 + 100);
    for (let cut = 0; cut < 4 + 64 * 20 + 20; cut++) {
      const flash = cloneFlash(base);
      const store = new ReplayStore(flash, 128);
      flash.cutAfter = cut;
      expect(() => store.remember("ff".repeat(8), T0 + 100)).toThrow(PowerCut);
      flash.cutAfter = undefined;
      const after = new ReplayStore(flash, 128);
      // The newest 128 before the cut (64..191) are all still there.
      for (let i = 64; i < 192; i++) expect(after.seen(i.toString(16).padStart(16, "0"), T0), `cut ${cut}: code ${i}`).toBe(true);
    }
    expect(base.bytesWritten).toBe(w0);
  });
});
