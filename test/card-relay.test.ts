// The card relay window (issue 14): the answer to INTERNAL AUTHENTICATE
// counts only within a deadline from the command, every try sends a new
// challenge, and a late answer to an earlier try never verifies. Virtual
// time: the firmware's PN532 driver and the emulator on one virtual clock,
// 1 ms of line each way.
import { describe, expect, it } from "vitest";
import { verifyCard } from "../firmware/core/card";
import { type CardSessionOptions, type CardSessionResult, readCard } from "../firmware/reader/card-session";
import { VirtualTimers } from "../firmware/targets/memory/hal";
import { nodeRandom } from "../firmware/targets/node/random";
import type { Faults, VirtualCard } from "../sim/pn532/emulator";
import { cardWorld, emulatedPn532 } from "./support/cards";
import { T0 } from "./support/fixtures";

const world = cardWorld();

function read(card: VirtualCard, opts?: CardSessionOptions, faults: Faults = {}) {
  const timers = new VirtualTimers();
  // The driver's own timeouts are generous (a second per reply, 2 resends): the deadline is the session's.
  const { pn, emulator } = emulatedPn532(timers, faults, { ackTimeoutMs: 50, replyTimeoutMs: 1000, retries: 2 });
  emulator.tap(card);
  let result: CardSessionResult | undefined;
  let at = -1;
  readCard(pn, nodeRandom, (r) => ((result = r), (at = timers.millis())), opts);
  timers.advance(20_000);
  if (result === undefined) throw new Error("the session never ended");
  const verdict = result.ok ? verifyCard(result.read, world.keyset, { now: T0, trusted: true }).verdict : "CARD_ERROR";
  return { result, verdict, emulator, at };
}

const relayed = (...authDelaysMs: number[]): VirtualCard => ({ ...world.valid, authDelaysMs });

describe("INTERNAL AUTHENTICATE deadline", () => {
  it("a card answering at once is OK", () => {
    const r = read(world.valid);
    expect(r.verdict).toBe("OK");
    expect(r.emulator.challenges).toHaveLength(1);
  });

  it("an answer 800 ms late (a relay) is refused on every try: the 3 s window is gone", () => {
    const r = read(relayed(800));
    expect(r.verdict).toBe("CARD_ERROR");
    expect(r.result).toMatchObject({ ok: false, error: "AUTH_REFUSED", detail: "DEADLINE" });
    expect(r.emulator.challenges).toHaveLength(2);
  });

  it("an answer within the default 500 ms is taken", () => {
    expect(read(relayed(450)).verdict).toBe("OK");
  });

  it("the deadline is configurable", () => {
    expect(read(relayed(250), { authDeadlineMs: 200 }).verdict).toBe("CARD_ERROR");
    expect(read(relayed(150), { authDeadlineMs: 200 }).verdict).toBe("OK");
    expect(read(relayed(700), { authDeadlineMs: 800 }).verdict).toBe("OK");
  });

  it("every try sends a new challenge, and the answer taken is to the last one", () => {
    const r = read(relayed(800, 100));
    expect(r.verdict).toBe("OK");
    const [first, second] = r.emulator.challenges;
    expect(Buffer.from(first)).not.toEqual(Buffer.from(second));
    expect(r.result.ok && Buffer.from(r.result.read.challenge)).toEqual(Buffer.from(second));
  });

  it("a missed deadline aborts the command (host ACK), so the late answer never comes", () => {
    const r = read(relayed(800, 100));
    expect(r.verdict).toBe("OK");
    expect(r.emulator.challenges).toHaveLength(2);
  });

  it("a reader that answers anyway: the late answer to the first challenge never verifies, wherever it lands", () => {
    for (let late = 505; late <= 1100; late += 5) {
      for (const second of [50, 300, 480, 800]) {
        const r = read(relayed(late, second), undefined, { ignoreAbort: true });
        const what = `first answer after ${late} ms, second after ${second} ms`;
        // The second try starts when the first one's 500 ms are up.
        const firstLandsFirst = late < 500 + second - 5;
        const secondInTime = second < 495 && late > 500 + second + 5;
        if (firstLandsFirst) expect(r.verdict, what).not.toBe("OK");
        else if (secondInTime) expect(r.verdict, what).toBe("OK"); // the right answer, in time
        // Bounded: two tries of at most 500 ms each, plus the reads before.
        expect(r.at).toBeLessThan(1500);
      }
    }
  });

  it("the same relay without a deadline would have passed: the driver alone waits a second per reply", () => {
    expect(read(relayed(800), { authDeadlineMs: 1000 }).verdict).toBe("OK");
  });
});
