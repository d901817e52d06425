// The card reader interface (firmware/hal/card-reader.ts) holds a second
// reader: the in-memory ISO 14443-4 reader over the simulator's virtual cards
// (sim/memory-reader.ts), with no PN532 anywhere. The card session and the
// poller, unchanged, drive it to the same results as the PN532 driver over
// the PN532 emulator, and into the app's verdicts. Virtual time throughout.
import { describe, expect, it } from "vitest";
import { verifyCard } from "../firmware/core/card";
import { loadKeyset } from "../firmware/core/keyset";
import { SOURCE_CARD } from "../firmware/app/audit-log";
import { CardPoller } from "../firmware/app/card-poller";
import type { CardReader } from "../firmware/hal/card-reader";
import { type CardSessionResult, readCard } from "../firmware/reader/card-session";
import { SeededRandom, VirtualTimers } from "../firmware/targets/memory/hal";
import { MemoryCardReader } from "../sim/memory-reader";
import type { VirtualCard } from "../sim/virtual-card";
import { makeWorld } from "../sim/world";
import { emulatedPn532 } from "./support/cards";
import { T0 } from "./support/fixtures";
import { provisionedApp } from "./support/provisioned-app";

const world = makeWorld(T0);
const cards = world.cards;
const loaded = loadKeyset(world.keysetBytes, world.roots);
if (!loaded.ok) throw new Error("the test key set did not load: " + loaded.reason);
const keyset = loaded.keyset;

function newApp() {
  return provisionedApp(world, T0, { seed: 20261128, clearAfterMs: 5000 });
}

/** One card read through `reader` on virtual time: the session's result, its verdict, and the time it took. */
function session(reader: CardReader, timers: VirtualTimers) {
  let result: CardSessionResult | undefined;
  let ends = 0;
  readCard(reader, new SeededRandom(7), (r) => ((result = r), ends++));
  timers.advance(20_000);
  if (result === undefined) throw new Error("the session never ended");
  expect(ends).toBe(1);
  const verdict = result.ok ? verifyCard(result.read, keyset, { now: T0, trusted: true }).verdict : "CARD_ERROR";
  return { result, verdict };
}

function throughMemory(card: VirtualCard | undefined) {
  const timers = new VirtualTimers();
  const reader = new MemoryCardReader(timers);
  reader.tap(card);
  return { ...session(reader, timers), challenges: reader.challenges.length };
}

/** The PN532 driver over the PN532 emulator, with the driver's default timeouts. */
function throughPn532(card: VirtualCard | undefined) {
  const timers = new VirtualTimers();
  const { pn, emulator } = emulatedPn532(timers);
  emulator.tap(card);
  return { ...session(pn, timers), challenges: emulator.challenges.length };
}

/** What must not depend on the reader chip: the outcome, the verdict, the bytes read, the tries. */
function outcome(r: ReturnType<typeof throughMemory>) {
  return {
    verdict: r.verdict,
    error: r.result.ok ? undefined : r.result.error,
    // Details the session makes itself; a failing chip's own words differ by chip.
    sessionDetail: r.result.ok || r.result.error === "CARD_GONE" || r.result.error === "READER" ? undefined : r.result.detail,
    credential: r.result.ok ? Buffer.from(r.result.read.credential).toString("hex") : undefined,
    challenges: r.challenges,
  };
}

describe("an in-memory ISO 14443-4 reader behind the card reader interface", () => {
  it("the card session reads each card case to its verdict", () => {
    const valid = throughMemory(cards.genuine);
    expect(valid.verdict).toBe("OK");
    expect(valid.result.ok && Buffer.from(valid.result.read.credential)).toEqual(Buffer.from(cards.genuine.credential));
    expect(valid.result.ok && verifyCard(valid.result.read, keyset, { now: T0, trusted: true }).sub).toBe("KTP-0001");
    expect(throughMemory(cards.clone).verdict).toBe("CARD_AUTH_FAILED");
    expect(throughMemory(cards.expired).verdict).toBe("EXPIRED");
    expect(throughMemory(cards.revoked).verdict).toBe("REVOKED");
  });

  it("no card, a card pulled away and a relayed card end as they do on a PN532", () => {
    expect(throughMemory(undefined).result).toEqual({ ok: false, error: "NO_CARD", detail: "NO_TARGET" });
    expect(throughMemory({ ...cards.genuine, removeAfterReads: 0 }).result).toMatchObject({ ok: false, error: "CARD_GONE" });
    const relayed = throughMemory({ ...cards.genuine, authDelaysMs: [800] });
    expect(relayed.result).toEqual({ ok: false, error: "AUTH_REFUSED", detail: "DEADLINE" });
    expect(relayed.challenges).toBe(2); // a fresh challenge on the second try
  });

  it("gives the same outcome as the PN532 driver over the PN532 emulator, case by case", () => {
    const cases: Array<[string, VirtualCard | undefined]> = [
      ["genuine", cards.genuine],
      ["clone", cards.clone],
      ["expired", cards.expired],
      ["revoked", cards.revoked],
      ["none", undefined],
      ["pulled at once", { ...cards.genuine, removeAfterReads: 0 }],
      ["pulled after the first read", { ...cards.genuine, removeAfterReads: 1 }],
      ["relayed", { ...cards.genuine, authDelaysMs: [800] }],
      ["late once, then at once", { ...cards.genuine, authDelaysMs: [800, 0] }],
      ["just inside the deadline", { ...cards.genuine, authDelaysMs: [450] }],
    ];
    for (const [name, card] of cases) expect(outcome(throughMemory(card)), name).toEqual(outcome(throughPn532(card)));
  });

  it("the poller drives it into the app: a verdict on screen and in the audit log for each tap", () => {
    const { app, out, timers, random } = newApp();
    const reader = new MemoryCardReader(timers);
    const poller = new CardPoller(reader, random, timers, () => app.state === "idle", (r) => app.cardResult(r), 500, () => app.cardDetected());
    poller.start();
    const cardEntries = () => app.audit.entries().filter((e) => e.source === SOURCE_CARD);
    timers.advance(2000); // polls an empty reader: nothing to show, nothing logged
    expect(cardEntries()).toHaveLength(0);
    reader.tap(cards.genuine);
    timers.advance(1000);
    reader.tap(undefined);
    timers.advance(6000); // the verdict screen clears, polling goes on
    reader.tap(cards.clone);
    timers.advance(1000);
    reader.tap(undefined);
    timers.advance(6000);
    poller.stop();
    expect(cardEntries().map((e) => e.verdict)).toEqual(["OK", "CARD_AUTH_FAILED"]);
    const verdictScreens = out.lines.filter((l) => l.startsWith("screen ") && !l.includes("READY")).map((l) => l.replace(/ @\S+$/, ""));
    expect(verdictScreens.map((l) => l.split(" | ")[0])).toEqual(["screen neutral Checking...", "screen green VALID", "screen neutral Checking...", "screen red REJECTED"]);
  });
});
