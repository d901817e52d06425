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

/** A provisioned device on memory HALs, its scan engine wired as on every target. */
function device() {
  const timers = new VirtualTimers();
  const rtc = new ManualRtc();
  const screen = new Transcript();
  const app = new VerifierApp(
    { display: screen, indicator: screen, storage: new MemoryStorage(), rtc, timers, random: new SeededRandom(7) },
    { roots: world.roots, buildTime: T0 - 86400, version: "flood", lang: "en", clearAfterMs: 5000, tables: false },
  );
  rtc.set(T0);
  expect(app.installKeyset(world.keysetBytes).ok).toBe(true);
  const serial = new ScriptedSerial(() => undefined);
  const input = scanInput(serial, timers, app);
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
