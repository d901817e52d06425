// The verification policy (SPEC sections 2 and 4): its defaults and its
// validity and replay rules, in one place for the device, the issuer tools
// (pindai keyset, pindai issue) and the simulator. A key set carries the
// policy a device applies; these are the values when it says nothing, and
// the values the tools sign unless told otherwise.

/** What a device does with a code it has accepted before. */
export const REPLAY_OFF = 0;
export const REPLAY_WARN = 1; // OK with the ALREADY_USED warning
export const REPLAY_REJECT = 2; // REPLAYED: the guard asks for a fresh code
/** The names the tools and the key set's documentation use, indexed by the code. */
export const REPLAY_NAMES = ["off", "warn", "reject"];

/** The code of a replay policy's name, or -1. */
export function replayCode(name: string): number {
  for (let i = 0; i < REPLAY_NAMES.length; i++) if (REPLAY_NAMES[i] === name) return i;
  return -1;
}

export interface Policy {
  skew: number; // seconds, 0-MAX_SKEW
  maxValidity: number; // seconds, 1-MAX_VALIDITY
  replay: number; // REPLAY_OFF | REPLAY_WARN | REPLAY_REJECT
}

/** Clock skew allowed either side of a code's window, in seconds. */
export const DEFAULT_SKEW = 30;
/** How long a fresh QR presentation lives, in seconds: the 90-second code. */
export const PRESENTATION_SECONDS = 90;

/** A key set without a policy map (SPEC 4). */
export const DEFAULT_POLICY: Policy = { skew: DEFAULT_SKEW, maxValidity: PRESENTATION_SECONDS, replay: REPLAY_WARN };
/** What pindai keyset signs by default: a code is accepted once per device. */
export const KEYSET_POLICY: Policy = { skew: DEFAULT_SKEW, maxValidity: PRESENTATION_SECONDS, replay: REPLAY_REJECT };
/** pindai keyset's next_update, days after issue. */
export const KEYSET_UPDATE_DAYS = 30;

/** A QR presentation's validity is too long (or empty) for the key set's policy: VALIDITY_TOO_LONG. */
export function validityTooLong(iat: number, exp: number, policy: Policy): boolean {
  return !(iat < exp) || exp - iat > policy.maxValidity;
}

/** Until when an accepted code's id is remembered: after that it would be EXPIRED anyway. */
export function rememberUntil(exp: number, policy: Policy): number {
  return exp + policy.skew;
}

/** How a device shows a verdict and polls for a card, unless its build config says otherwise (ms). */
export const DEFAULT_CLEAR_AFTER_MS = 10000;
export const DEFAULT_CARD_POLL_MS = 500;
export const DEFAULT_CARD_AUTH_MS = 500;
