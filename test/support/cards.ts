// Virtual cards for the PN532 emulator (genuine, clone, expired, revoked) and
// the key set that judges them: the simulator's world at the tests' fixed time.
import { loadKeyset, type Keyset } from "../../firmware/core/keyset";
import type { VirtualCard } from "../../sim/pn532/emulator";
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
