// A card left on the reader (issue 20 item 7): read once, then not again
// until it has left the field, so it never pushes the QR verdicts out of the
// audit log. The PN532 driver over the simulator's PN532 emulator, the poller
// and the app, all on virtual time: an hour passes in a moment.
import { describe, expect, it } from "vitest";
import { SOURCE_CARD, SOURCE_QR } from "../firmware/app/audit-log";
import { CardPoller, FAULTS_DOWN } from "../firmware/app/card-poller";
import { issuePresentation } from "../host/issuer/issuer";
import { HOLDER, makeWorld } from "../sim/world";
import { emulatedPn532 } from "./support/cards";
import { T0 } from "./support/fixtures";
import { provisionedApp } from "./support/provisioned-app";

const world = makeWorld(T0);
const IN_LIST_PASSIVE_TARGET = 0x4a;

function device() {
  const { app, out, timers, random } = provisionedApp(world, T0, { seed: 20261206, clearAfterMs: 10_000 });
  const { pn, emulator } = emulatedPn532(timers);
  const poller = new CardPoller(pn, random, timers, () => app.state === "idle", (r) => app.cardResult(r), 500, () => app.cardDetected());
  const states: string[] = [];
  poller.onReaderState = (up, detail) => states.push(up ? "answering" : "down " + detail);
  poller.start();
  const entries = (source: number) => app.audit.entries().filter((e) => e.source === source);
  const detects = () => emulator.log.filter((c) => c === IN_LIST_PASSIVE_TARGET).length;
  /** Virtual minutes, a minute at a time. */
  const minutes = (n: number) => {
    for (let i = 0; i < n; i++) timers.advance(60_000);
  };
  return { app, out, timers, emulator, poller, states, entries, detects, minutes };
}

describe("a card left on the reader", () => {
  it("held for an hour gives one record; the QR verdicts before it stay in the log", () => {
    const d = device();
    for (let n = 1; n <= 3; n++) {
      d.app.scanText(issuePresentation(world.qrSigner, HOLDER, { iat: T0, cti: new Uint8Array(16).fill(n) }));
      d.timers.advance(11_000); // the verdict clears
    }
    expect(d.entries(SOURCE_QR).map((e) => e.verdict)).toEqual(["OK", "OK", "OK"]);
    d.emulator.tap(world.cards.genuine);
    const before = d.detects();
    d.minutes(60);
    expect(d.entries(SOURCE_CARD).map((e) => e.verdict)).toEqual(["OK"]);
    // It was looked at all along (a poll every 500 ms, while idle and while the verdict stood).
    expect(d.detects() - before).toBeGreaterThan(5000);
    expect(d.entries(SOURCE_QR)).toHaveLength(3);
    expect(d.app.audit.entries().filter((e) => e.source === SOURCE_QR || e.source === SOURCE_CARD)).toHaveLength(4);
    expect(d.app.state).toBe("idle");
  });

  it("taken away and presented again gives a second record, even when it comes back while the verdict is still up", () => {
    const d = device();
    d.emulator.tap(world.cards.genuine);
    d.minutes(5);
    expect(d.entries(SOURCE_CARD)).toHaveLength(1);
    d.emulator.tap(undefined);
    d.timers.advance(2000);
    d.emulator.tap(world.cards.genuine);
    d.timers.advance(3000);
    expect(d.entries(SOURCE_CARD)).toHaveLength(2);
    // Lifted and put back within the 10 s the verdict stands: seen gone while busy, so read again once idle.
    d.timers.advance(1000);
    d.emulator.tap(undefined);
    d.timers.advance(1500);
    d.emulator.tap(world.cards.clone);
    d.minutes(10);
    expect(d.entries(SOURCE_CARD).map((e) => e.verdict)).toEqual(["OK", "OK", "CARD_AUTH_FAILED"]);
  });

  it("the simulator's tap reads whatever is on the reader, held or not", () => {
    const d = device();
    d.emulator.tap(world.cards.genuine);
    d.minutes(1);
    let done = 0;
    d.poller.poll(() => done++);
    d.minutes(1);
    expect(done).toBe(1);
    expect(d.entries(SOURCE_CARD)).toHaveLength(2);
  });

  it("a reader that stops answering is reported once, and again when it answers", () => {
    const d = device();
    d.minutes(1);
    expect(d.states).toEqual([]);
    expect(d.poller.answering).toBe(true);
    d.emulator.faults.silent = true;
    d.minutes(5);
    expect(d.states).toEqual(["down TIMEOUT"]);
    expect(d.poller.answering).toBe(false);
    d.emulator.faults.silent = false;
    d.minutes(1);
    expect(d.states).toEqual(["down TIMEOUT", "answering"]);
    expect(d.entries(SOURCE_CARD)).toHaveLength(0); // a dead reader logs nothing
    expect(FAULTS_DOWN).toBeGreaterThan(1);
  });
});
