// Virtual cards for the PN532 emulator (genuine, clone, expired, revoked) and
// the key set that judges them: the simulator's world at the tests' fixed time.
import { loadKeyset, type Keyset } from "../../firmware/core/keyset";
import type { Serial } from "../../firmware/hal/serial";
import { Pn532, type Pn532Options } from "../../firmware/reader/pn532/pn532";
import type { VirtualTimers } from "../../firmware/targets/memory/hal";
import { Pn532Emulator, type Faults, type VirtualCard } from "../../sim/pn532/emulator";
import { makeWorld } from "../../sim/world";
import { T0 } from "./fixtures";

export interface CardWorld {
  keyset: Keyset;
  valid: VirtualCard;
  clone: VirtualCard;
  expired: VirtualCard;
  revoked: VirtualCard;
}

export function cardWorld(): CardWorld {
  const w = makeWorld(T0);
  const r = loadKeyset(w.keysetBytes, w.roots);
  if (!r.ok) throw new Error("the test key set did not load: " + r.reason);
  return { keyset: r.keyset, valid: w.cards.genuine, clone: w.cards.clone, expired: w.cards.expired, revoked: w.cards.revoked };
}

/** The firmware's PN532 driver and the PN532 emulator on one virtual clock, 1 ms of line each way. */
export function emulatedPn532(timers: VirtualTimers, faults: Faults = {}, opts?: Pn532Options): { pn: Pn532; emulator: Pn532Emulator } {
  let toHost: ((d: Uint8Array) => void) | undefined;
  const emulator = new Pn532Emulator((b) => timers.setTimeout(() => toHost?.(b), 1), faults, (fn, ms) => {
    const id = timers.setTimeout(fn, ms);
    return () => timers.clearTimeout(id);
  });
  const serial: Serial = {
    write: (d) => {
      const copy = d.slice();
      timers.setTimeout(() => emulator.receive(copy), 1);
    },
    onData: (h) => (toHost = h),
    close: () => {},
  };
  return { pn: new Pn532(serial, timers, opts), emulator };
}
