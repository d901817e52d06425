// Scan-engine abuse (issue 14): an overlong line must not take the next
// genuine line with it, the input queue stays bounded while verifications
// run, and a fresh genuine code presented during a flood of lines that force
// signature checks gets its verdict within 2 verification times. Virtual
// time, the portable app and the same wiring as every target
// (app/scan-input.ts); verification times are counted, not measured.
import { describe, expect, it } from "vitest";
import { ed } from "../host/issuer/ed";
import { issuePresentation } from "../host/issuer/issuer";
import { scanInput } from "../firmware/app/scan-input";
import { ScanQueue } from "../firmware/app/scan-queue";
import { VerifierApp } from "../firmware/app/verifier";
import { MAX_SCAN_LINE, lineScanner } from "../firmware/hal/scan-engine";
import { TRIAGE_CANDIDATE, TRIAGE_DOOMED, TRIAGE_JUNK, triage } from "../firmware/core/triage";
import { loadKeyset } from "../firmware/core/keyset";
import { ManualRtc, MemoryStorage, ScriptedSerial, SeededRandom, Transcript, VirtualTimers } from "../firmware/targets/memory/hal";
import { HOLDER, makeWorld } from "../sim/world";
import { T0 } from "./support/fixtures";
import type { Timers } from "../firmware/hal/timers";

const world = makeWorld(T0, 1);
const bytes = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
const genuine = (iat = T0) => issuePresentation(world.qrSigner, HOLDER, { iat });
/** Signed by someone else under the issuer's kid: fresh, well formed, and only the signature says no. */
const attacker = ed.utils.randomSecretKey();
const forged = (iat = T0) => issuePresentation({ secretKey: attacker, kid: world.qrSigner.kid }, HOLDER, { iat });

describe("scan line: an overlong line and the next genuine one", () => {
  it("without an idle gap rule, 5,000 bytes without a newline swallow the next line (the finding)", () => {
    const serial = new ScriptedSerial(() => undefined);
    const got: string[] = [];
    lineScanner(serial, MAX_SCAN_LINE).onLine((t) => got.push(t));
    serial.feed(bytes("A".repeat(5000)));
    serial.feed(bytes(genuine() + "\r\n"));
    expect(got).toEqual([]);
  });

  it("with timers, the overlong line is dropped at the idle gap and the next line is taken", () => {
    const timers = new VirtualTimers();
    const serial = new ScriptedSerial(() => undefined);
    const got: string[] = [];
    const engine = lineScanner(serial, MAX_SCAN_LINE, timers);
    engine.onLine((t) => got.push(t));
    for (let i = 0; i < 50; i++) serial.feed(bytes("A".repeat(100))); // 5,000 bytes in chunks
    timers.advance(600);
    const code = genuine();
    serial.feed(bytes(code + "\r\n"));
    expect(got).toEqual([code]);
    expect(engine.dropped()).toBe(1);
  });

  it("an unfinished short line is dropped at the gap too (never glued to the next code)", () => {
    const timers = new VirtualTimers();
    const serial = new ScriptedSerial(() => undefined);
    const got: string[] = [];
    lineScanner(serial, MAX_SCAN_LINE, timers).onLine((t) => got.push(t));
    serial.feed(bytes("https://example.com/?x=" + "B".repeat(3000)));
    timers.advance(600);
    serial.feed(bytes("PD1:ABC\r\n"));
    expect(got).toEqual(["PD1:ABC"]);
  });

  it("a line whose bytes come in chunks with short pauses is kept whole", () => {
    const timers = new VirtualTimers();
    const serial = new ScriptedSerial(() => undefined);
    const got: string[] = [];
    lineScanner(serial, MAX_SCAN_LINE, timers).onLine((t) => got.push(t));
    const code = genuine();
    for (let i = 0; i < code.length; i += 40) {
      serial.feed(bytes(code.slice(i, i + 40)));
      timers.advance(200); // under the 250 ms idle check, and never two quiet checks in a row
    }
    serial.feed(bytes("\r\n"));
    expect(got).toEqual([code]);
  });
});

describe("the input queue while a verification runs", () => {
  it("is bounded: excess lines are dropped and counted, and pushing never verifies", () => {
    const timers = new VirtualTimers();
    const verified: string[] = [];
    const q = new ScanQueue(timers, (t) => verified.push(t), () => 0, 4);
    for (let i = 0; i < 10_000; i++) q.push("line " + i);
    expect(verified).toEqual([]); // push() only queues: the serial handler is never held up
    expect(q.size()).toBe(4);
    expect(q.dropped).toBe(9996);
    timers.advance(0);
    expect(verified).toEqual(["line 9999", "line 9998", "line 9997", "line 9996"]); // newest first
  });

  it("a line already waiting is coalesced, not queued twice", () => {
    const timers = new VirtualTimers();
    const verified: string[] = [];
    const q = new ScanQueue(timers, (t) => verified.push(t), () => 0, 4);
    for (let i = 0; i < 100; i++) q.push("same");
    q.push("other");
    expect(q.size()).toBe(2);
    expect(q.coalesced).toBe(99);
    timers.advance(0);
    expect(verified).toEqual(["other", "same"]);
  });
});

describe("the queue's hash key", () => {
  it("is drawn from the random source at the first line, not at boot, and keys the hash", () => {
    const draws: number[] = [];
    const key = (b: number[]) => () => (draws.push(b.length), new Uint8Array(b));
    const timers = new VirtualTimers();
    const q = new ScanQueue(timers, () => {}, () => 0, 4, key([1, 2, 3, 4, 5, 6]));
    expect(draws).toEqual([]); // at boot (scanInput) nothing is drawn: SHA-512 would load beside the boot's code
    const unkeyed = new ScanQueue(timers, () => {}, () => 0, 4).hashOf("line");
    const h = q.hashOf("line");
    expect(draws).toEqual([6]);
    expect(h).not.toBe(unkeyed);
    q.push("line");
    q.hashOf("other");
    expect(draws).toEqual([6]); // once
    expect(new ScanQueue(timers, () => {}, () => 0, 4, key([6, 5, 4, 3, 2, 1])).hashOf("line")).not.toBe(h);
  });

  it("a source that fails at the draw leaves the fixed multipliers, and lines still reach the verifier", () => {
    const timers = new VirtualTimers();
    const verified: string[] = [];
    let tries = 0;
    const failing = () => {
      tries++;
      throw new Error("RANDOM_FAILED stuck output: the same bytes in two draws");
    };
    const q = new ScanQueue(timers, (t) => verified.push(t), () => 0, 4, failing);
    expect(() => q.push("a")).not.toThrow();
    q.push("b");
    expect(tries).toBe(1); // not asked again on every line
    expect(q.hashOf("line")).toBe(new ScanQueue(timers, () => {}, () => 0, 4).hashOf("line"));
    timers.advance(0);
    expect(verified).toEqual(["b", "a"]);
  });
});

/** A provisioned device on memory HALs and these timers, its scan engine wired as on every target. */
function provisioned(timers: Timers) {
  const rtc = new ManualRtc();
  const screen = new Transcript();
  const app = new VerifierApp(
    { display: screen, indicator: screen, storage: new MemoryStorage(), rtc, timers, random: new SeededRandom(7) },
    { roots: world.roots, buildTime: T0 - 86400, version: "flood", lang: "en", clearAfterMs: 5000, tables: false },
  );
  rtc.set(T0);
  expect(app.installKeyset(world.keysetBytes).ok).toBe(true);
  const serial = new ScriptedSerial(() => undefined);
  return { app, serial, input: scanInput(serial, timers, app) };
}

function device() {
  const timers = new VirtualTimers();
  const { app, serial, input } = provisioned(timers);
  // Count verifications; `during` feeds the lines that arrive while one runs.
  const log: Array<{ text: string; verdict: string }> = [];
  let during: (n: number) => void = () => {};
  const verify = app.scanText.bind(app);
  app.scanText = (text: string) => {
    verify(text);
    log.push({ text, verdict: app.lastOutcome!.verdict });
    during(log.length);
  };
  return { app, timers, serial, input, log, setDuring: (f: (n: number) => void) => (during = f) };
}

describe("triage", () => {
  const ks = loadKeyset(world.keysetBytes, world.roots);
  if (!ks.ok) throw new Error("key set");
  const t = { now: T0, trusted: true };
  it("ranks what only a signature can refuse above what cannot be OK, and both above junk", () => {
    expect(triage(genuine(), ks.keyset, t)).toBe(TRIAGE_CANDIDATE);
    expect(triage(forged(), ks.keyset, t)).toBe(TRIAGE_CANDIDATE);
    expect(triage(genuine(T0 - 600), ks.keyset, t)).toBe(TRIAGE_DOOMED); // a captured code, expired
    expect(triage(genuine(T0 + 600), ks.keyset, t)).toBe(TRIAGE_DOOMED);
    expect(triage(issuePresentation(world.cardSigner, HOLDER, { iat: T0 }), ks.keyset, t)).toBe(TRIAGE_DOOMED); // a card key
    expect(triage("PD1:ABC", ks.keyset, t)).toBe(TRIAGE_DOOMED);
    expect(triage(genuine(), ks.keyset, { now: T0, trusted: false })).toBe(TRIAGE_DOOMED);
    expect(triage("https://example.com", ks.keyset, t)).toBe(TRIAGE_JUNK);
  });
});

describe("flood: a fresh genuine code during a stream of lines that force signature checks", () => {
  // Lines that each cost a signature check and cannot be OK: captured codes
  // replayed after they expired (EXPIRED comes after the signature) and
  // forgeries of old codes (BAD_SIGNATURE).
  const floodLine = (i: number) => (i % 2 === 0 ? genuine(T0 - 300 - i) : forged(T0 - 300 - i));
  const flood = Array.from({ length: 400 }, (_, i) => floodLine(i));

  for (const perVerification of [1, 3, 8]) {
    it(`${perVerification} flood line(s) arriving per verification: the genuine code's verdict comes at the next verification`, () => {
      const d = device();
      let next = 0;
      const code = genuine();
      let presentedAt = -1;
      d.setDuring((n) => {
        if (next >= flood.length) return;
        // The lines that arrive while verification n runs; the genuine code among them at verification 20.
        const batch = flood.slice(next, next + perVerification);
        next += perVerification;
        if (n === 20) {
          batch.splice(Math.floor(batch.length / 2), 0, code);
          presentedAt = n;
        }
        d.serial.feed(bytes(batch.join("\r\n") + "\r\n"));
      });
      d.serial.feed(bytes(flood[next++] + "\r\n"));
      for (let i = 0; i < 200; i++) d.timers.advance(0);
      const at = d.log.findIndex((e) => e.text === code) + 1;
      expect(presentedAt).toBe(20);
      // Presented while verification 20 ran: its own is verification 21 (within 2 verification times).
      expect(at).toBe(21);
      expect(d.log[at - 1].verdict).toBe("OK");
      // Every other line verified really cost a signature check, and the queue stayed bounded.
      expect(new Set(d.log.filter((e) => e.text !== code).map((e) => e.verdict))).toEqual(new Set(["EXPIRED", "BAD_SIGNATURE"]));
      expect(d.input.queue.size()).toBeLessThanOrEqual(4);
      if (perVerification > 1) expect(d.input.queue.dropped).toBeGreaterThan(0);
    });
  }

  it("the same captured line sent over and over is coalesced: a few verifications, not one per line", () => {
    const d = device();
    const stale = genuine(T0 - 600);
    let sent = 0;
    d.setDuring(() => {
      if (sent < 300) d.serial.feed(bytes((stale + "\r\n").repeat(10))), (sent += 10);
    });
    d.serial.feed(bytes(stale + "\r\n"));
    for (let i = 0; i < 100; i++) d.timers.advance(0);
    expect(d.log.length).toBeLessThanOrEqual(31); // one per batch of 10 at most
    expect(d.input.queue.coalesced).toBeGreaterThanOrEqual(270);
  });

  it("fresh forgeries faster than they are verified are a flood: a code shown once is held, shown again it is next", () => {
    const d = device();
    const code = genuine();
    const feed = (lines: string[]) => {
      d.serial.feed(bytes(lines.join("\r\n") + "\r\n"));
      for (let i = 0; i < 10; i++) d.timers.advance(0);
    };
    d.setDuring((k) => {
      if (k === 1) d.serial.feed(bytes([forged(), forged(), forged()].join("\r\n") + "\r\n")); // 3 fresh during one verification
    });
    feed([forged()]);
    expect(d.input.queue.flooding).toBe(true);
    expect(d.log).toHaveLength(1);
    feed([forged(), forged(), code, forged(), forged()]); // shown once, among the flood: held
    expect(d.log).toHaveLength(1);
    feed([forged(), code, forged()]); // shown again: verified at once
    expect(d.log.map((e) => e.verdict)).toEqual(["BAD_SIGNATURE", "OK"]);
    expect(d.log[1].text).toBe(code);
    expect(d.input.queue.held).toBe(3 + 5 + 2); // the three that started the flood, then every line seen once
    // TAMPER on the screen and in the log when the flood started.
    expect(d.app.audit.entries().filter((e) => e.source === 6)).toHaveLength(1);
  });
});

describe("a flood of forgeries is tampering (issue 21, finding 10: the warning)", () => {
  it("three forged codes under a valid kid in a row: TAMPER on the screen and one tamper record in the log", () => {
    const d = device();
    for (let i = 0; i < 6; i++) {
      d.serial.feed(bytes(forged() + "\r\n"));
      d.timers.advance(0);
    }
    expect(d.log.map((e) => e.verdict)).toEqual(Array(6).fill("BAD_SIGNATURE"));
    const tamper = d.app.audit.entries().filter((e) => e.source === 6);
    expect(tamper).toHaveLength(1);
    expect(Number.parseInt(tamper[0].nikHash.slice(0, 8), 16)).toBe(3);
    // The genuine code still gets its verdict, green.
    d.serial.feed(bytes(genuine() + "\r\n"));
    d.timers.advance(0);
    expect(d.app.lastOutcome!.verdict).toBe("OK");
  });

  it("the TAMPER screen is what the guard sees right after the third forgery", () => {
    const d = device();
    for (let i = 0; i < 3; i++) {
      d.serial.feed(bytes(forged() + "\r\n"));
      d.timers.advance(0);
    }
    expect(d.app.lastScreen).toMatchObject({ color: "red", title: "TAMPER", lines: ["forged codes on the scan line"] });
  });
});

// Issue 21, finding 10: the 3-second bound. A flood of fresh forgeries under a valid kid at the
// scan engine's full line rate (115,200 baud, 10 bits a byte), a genuine code shown every second,
// on the 64 MHz model: virtual time, where a verification, the cheap look (triage) and a flood
// line's handling cost what they were counted or measured to cost (`npx tsx bench/scan-line.ts`):
// - Lua 5.4 with the Lua natives: a scan 38.7 M instructions (0.76 s at 64 MHz, CPI 1.25), 19.5 M
//   with tables (0.38 s); the issue's own figure for Lua, 1.2 s. The look is 2.7-4.5 % of a scan
//   without tables in lua5.4/lua5.3 here (34 ms on the model), a flood line 0.12-0.18 % (1.5 ms).
// - Espruino with the native kernel (issue 22's kernel, counted by bench/espruino-arm/steps.ts,
//   README "Where a device scan went"): a scan with tables 24.8 M instructions (0.48 s); without
//   tables at most 77 M (1.51 s: the scan's 24.0 M less its 4.9 M table verification, plus a
//   verification without tables, 58.1 M with the bench's hex decoding). The look is Base45
//   (0.7 M), CBOR and COSE (4.0 M) and the claims (9.6 M): at most 14.3 M (0.28 s). A flood
//   line is hashed in JavaScript: 0.013 % of a portable verification on Espruino for Linux,
//   against its 7,700 M instructions on the ARM build, 20 ms on the model.
interface Costs {
  name: string;
  verifyMs: number;
  lookMs: number;
  floodLineMs: number;
  /** The bound this target is held to: 3 s. */
  boundMs: number;
}
const TARGETS: Costs[] = [
  { name: "Lua 5.4 at 64 MHz, no tables", verifyMs: 760, lookMs: 34, floodLineMs: 1.5, boundMs: 3000 },
  { name: "Lua at 64 MHz, the issue's 1.2 s", verifyMs: 1200, lookMs: 54, floodLineMs: 2.4, boundMs: 3000 },
  { name: "Lua 5.4 at 64 MHz, tables", verifyMs: 380, lookMs: 34, floodLineMs: 1.5, boundMs: 3000 },
  { name: "Espruino with the kernel at 64 MHz, no tables", verifyMs: 1510, lookMs: 280, floodLineMs: 20, boundMs: 3000 },
  { name: "Espruino with the kernel at 64 MHz, tables", verifyMs: 480, lookMs: 280, floodLineMs: 20, boundMs: 3000 },
];
const BAUD_BYTES_PER_MS = 115_200 / 10 / 1000;

/** Timers whose clock moves when the CPU works (spend) or waits for the next event. */
class CpuTimers implements Timers {
  now = 0;
  private next = 1;
  private pending: Array<{ id: number; at: number; fn: () => void }> = [];
  setTimeout(fn: () => void, ms: number): number {
    const id = this.next++;
    this.pending.push({ id, at: this.now + ms, fn });
    return id;
  }
  clearTimeout(id: number): void {
    this.pending = this.pending.filter((p) => p.id !== id);
  }
  millis(): number {
    return this.now;
  }
  spend(ms: number): void {
    this.now += ms;
  }
  /** Runs the earliest timer that is due; false when none is. */
  runDue(): boolean {
    let k = -1;
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i];
      if (p.at <= this.now && (k < 0 || p.at < this.pending[k].at || (p.at === this.pending[k].at && p.id < this.pending[k].id))) k = i;
    }
    if (k < 0) return false;
    this.pending.splice(k, 1)[0].fn();
    return true;
  }
  nextAt(): number {
    return this.pending.reduce((m, p) => Math.min(m, p.at), Infinity);
  }
}

const CODE = genuine();
const LINE_MS = (CODE.length + 2) / BAUD_BYTES_PER_MS;
const FLOOD = Array.from({ length: Math.ceil(75_000 / LINE_MS) }, () => forged());

/** The scan line: forgeries back to back at line rate (each sent `repeat` times in a row), the genuine code every second from `from` in the slot of a forgery. */
function scanLine(from: number, until: number, repeat: number): Array<{ at: number; text: string }> {
  const lines: Array<{ at: number; text: string }> = [];
  let shown = from;
  for (let i = 0; i * LINE_MS < until; i++) {
    const at = i * LINE_MS;
    if (at >= shown) {
      lines.push({ at, text: CODE });
      shown += 1000;
    } else lines.push({ at, text: FLOOD[Math.floor(i / repeat)] });
  }
  return lines;
}

/** The device as it is (scan-input.ts, the queue, the app) on the line; ms from the code's first showing to its verdict. */
function simulate(c: Costs, from: number, o: { until?: number; repeat?: number } = {}) {
  const until = o.until ?? from + 6000;
  const timers = new CpuTimers();
  const { app, serial, input } = provisioned(timers);
  const queue = input.queue;
  let verdictAt: number | undefined;
  let verdict = "";
  let verified = 0;
  const verify = app.scanText.bind(app);
  app.scanText = (text: string) => {
    verify(text);
    timers.spend(c.verifyMs);
    verified++;
    if (text === CODE && verdictAt === undefined) [verdictAt, verdict] = [timers.now, app.lastOutcome!.verdict];
  };
  const push = queue.push.bind(queue);
  queue.push = (text: string) => {
    const looked = !queue.flooding;
    const known = queue.knownForgeries;
    push(text);
    timers.spend(looked && queue.knownForgeries === known ? c.lookMs : c.floodLineMs);
  };
  const lines = scanLine(from, until, o.repeat ?? 1);
  let i = 0;
  // An event loop: the bytes that arrived meanwhile, in one piece (as a UART hands them over after a
  // busy spell), then the timers that are due (the queue's turn among them).
  while (timers.now < until && verdictAt === undefined) {
    const chunk: string[] = [];
    while (i < lines.length && lines[i].at <= timers.now) chunk.push(lines[i++].text + "\r\n");
    if (chunk.length > 0) serial.feed(bytes(chunk.join("")));
    while (timers.runDue() && verdictAt === undefined);
    if (chunk.length === 0) timers.now = Math.min(i < lines.length ? lines[i].at : Infinity, timers.nextAt());
  }
  return { after: verdictAt === undefined ? undefined : verdictAt - from, verdict, verified, queue, app };
}

/** The queue as it was: every line looked at, fresh forgeries ranked as the genuine code, newest first, 4 waiting. */
function simulateAsItWas(c: Costs, from: number): number | undefined {
  const lines = scanLine(from, from + 6000, 1);
  let now = 0;
  let i = 0;
  let waiting: string[] = [];
  while (now < from + 6000) {
    if (i < lines.length && lines[i].at <= now) {
      waiting = waiting.filter((t) => t !== lines[i].text).concat(lines[i++].text).slice(-4);
      now += c.lookMs;
    }
    const text = waiting.pop();
    if (text !== undefined) {
      now += c.verifyMs;
      if (text === CODE) return now - from;
    } else if (i < lines.length && lines[i].at > now) now = lines[i].at;
  }
  return undefined;
}

describe("issue 21, finding 10: a genuine code during a flood of fresh forgeries at 115,200 baud, on the 64 MHz model", () => {
  // Shown from 30 s into the flood (its first lines are looked at and one verified before it is
  // known for one, and on Espruino the lines that waited meanwhile are read: the README and the
  // last test here say what that costs), at 8 phases of a verification.
  const phases = Array.from({ length: 8 }, (_, k) => 30_000 + k * 241);

  it(`the line carries ${Math.round(1000 / LINE_MS)} codes a second (${CODE.length} characters each)`, () => {
    expect(1000 / LINE_MS).toBeGreaterThan(35);
  });

  for (const c of TARGETS) {
    it(`${c.name}: as the queue was, no verdict within 3 s (the finding)`, () => {
      const worst = Math.max(...phases.map((p) => simulateAsItWas(c, p) ?? Infinity));
      expect(worst).toBeGreaterThan(3000);
    });

    it(`${c.name}: now, its verdict within ${c.boundMs / 1000} s of its first showing, whatever the phase`, () => {
      const got = phases.map((p) => simulate(c, p));
      for (const g of got) expect(g.verdict).toBe("OK");
      const worst = Math.max(...got.map((g) => g.after!));
      console.log(`${c.name}: verdict ${got.map((g) => (g.after! / 1000).toFixed(2)).join(" ")} s after the first showing`);
      expect(worst).toBeLessThanOrEqual(c.boundMs);
      // Its next showing plus one verification, and the lines read meanwhile (on Espruino, 20 ms each).
      expect(worst).toBeLessThanOrEqual(1000 + c.verifyMs + 600);
      const g = got[0];
      expect(g.queue.flooding).toBe(true);
      expect(g.queue.held).toBeGreaterThan(300); // the forgeries, hashed and held
      expect(g.app.audit.entries().filter((e) => e.source === 6).length).toBeGreaterThanOrEqual(1); // TAMPER logged
    });
  }

  it("a forgery repeated is verified once, then dropped for free; the bound when every forgery is sent 2 or 3 times", () => {
    const report: string[] = [];
    for (const repeat of [2, 3]) {
      for (const c of TARGETS) {
        const g = simulate(c, 30_000, { repeat, until: 70_000 });
        expect(g.queue.flooding, c.name).toBe(true); // the flood is seen for what it is all along
        if (repeat === 3) expect(g.queue.knownForgeries, c.name).toBeGreaterThan(0); // the third copy of a refuted forgery: free
        report.push(`x${repeat} ${c.name}: ${g.after === undefined ? "no verdict in 40 s" : (g.after / 1000).toFixed(1) + " s"}, ${g.verified} verified, ${g.queue.knownForgeries} dropped as known`);
      }
    }
    console.log("genuine code, every forgery sent 2 or 3 times:\n  " + report.join("\n  "));
  });

  it("shown as the flood starts: the flood's first lines are looked at and one is verified before it is known for a flood", () => {
    const report: string[] = [];
    for (const c of TARGETS) {
      const worst = Math.max(...[0, 200, 400, 600, 800].map((p) => simulate(c, 100 + p, { until: 40_000 }).after ?? Infinity));
      expect(worst, c.name).toBeLessThan(30_000);
      report.push(`${c.name}: at worst ${(worst / 1000).toFixed(1)} s`);
    }
    console.log("genuine code shown in the flood's first second:\n  " + report.join("\n  "));
  });
});
