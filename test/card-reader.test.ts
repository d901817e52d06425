// The card path of SPEC section 5 end to end over node-serialport's
// MockBinding: firmware PN532 driver and card session <-> PN532 emulator.
import { afterEach, describe, expect, it } from "vitest";
import { readCardWith } from "../host/src/card-read";
import { attachMock } from "../sim/pn532/attach";
import type { Faults } from "../sim/pn532/emulator";
import { verifyCard } from "../firmware/core/card";
import { cardWorld } from "./support/cards";
import { T0 } from "./support/fixtures";

const world = cardWorld();
const fast = { ackTimeoutMs: 30, replyTimeoutMs: 120, detectTimeoutMs: 120, retries: 2 };
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function tapAndRead(card: typeof world.valid | undefined, faults: Faults = {}) {
  const m = await attachMock(faults);
  closers.push(m.close);
  m.emulator.tap(card);
  const r = await readCardWith(m.port, fast);
  return { r, emulator: m.emulator };
}

async function verdictOf(card: typeof world.valid | undefined, faults: Faults = {}) {
  const { r } = await tapAndRead(card, faults);
  if (!r.ok) return "CARD_ERROR";
  return verifyCard(r.read, world.keyset, { now: T0, trusted: true }).verdict;
}

describe("card reads over the mock binding", () => {
  it("a valid card: the whole file is read in 0xF0 chunks and the card proves its key", async () => {
    const { r, emulator } = await tapAndRead(world.valid);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Buffer.from(r.read.credential)).toEqual(Buffer.from(world.valid.credential));
    expect(r.read.challenge).toHaveLength(32);
    expect(r.read.signature).toHaveLength(64);
    // SAMConfiguration, InListPassiveTarget, SELECT x2, READ BINARY x n, INTERNAL AUTHENTICATE, InRelease
    const reads = Math.ceil(world.valid.credential.length / 0xf0);
    expect(emulator.log).toEqual([0x14, 0x4a, 0x40, 0x40, ...Array(reads).fill(0x40), 0x40, 0x52]);
    const v = verifyCard(r.read, world.keyset, { now: T0, trusted: true });
    expect(v.verdict).toBe("OK");
    expect(v.sub).toBe("KTP-0001");
  });

  it("each card case gives its verdict", async () => {
    expect(await verdictOf(world.valid)).toBe("OK");
    expect(await verdictOf(world.clone)).toBe("CARD_AUTH_FAILED");
    expect(await verdictOf(world.expired)).toBe("EXPIRED");
    expect(await verdictOf(world.revoked)).toBe("REVOKED");
  });

  it("no card on the reader is NO_CARD, quickly", async () => {
    const { r } = await tapAndRead(undefined);
    expect(r.ok ? "ok" : r.error).toBe("NO_CARD");
  });

  it("a card pulled away mid-read is CARD_GONE, never a verdict", async () => {
    const { r } = await tapAndRead({ ...world.valid, removeAfterReads: 0 });
    expect(r.ok ? "ok" : r.error).toBe("CARD_GONE");
  });

  it("a silent reader times out within the driver's bounds", async () => {
    const t = performance.now();
    const { r } = await tapAndRead(world.valid, { silent: true });
    expect(r.ok ? "ok" : r.error).toBe("READER");
    expect(r.ok ? "" : r.detail).toBe("WAKE_TIMEOUT");
    // 3 tries x (ack timeout 30 ms) plus slack: bounded, not a hang
    expect(performance.now() - t).toBeLessThan(2000);
  });

  it("garbage before frames and delayed bytes still read the card", async () => {
    expect(await verdictOf(world.valid, { garbage: 0.5, seed: 7 })).toBe("OK");
    expect(await verdictOf(world.valid, { delayMs: 20, seed: 8 })).toBe("OK");
  });

  it("fault injection never yields OK for a bad card and never hangs", async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const faults: Faults = { seed, drop: 0.01, flip: 0.01, garbage: 0.2 };
      for (const c of [world.clone, world.expired, world.revoked]) {
        const v = await verdictOf(c, faults);
        expect(v, `seed ${seed} ${c.serial}`).not.toBe("OK");
      }
      // a good card under faults: OK or a reader error, never a wrong verdict
      expect(["OK", "CARD_ERROR"]).toContain(await verdictOf(world.valid, faults));
    }
  }, 60_000);
});
