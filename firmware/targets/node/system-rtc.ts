// Rtc HAL on a Linux-class device: the system clock, moved by a signed TIME
// through an offset (a verifier does not run as root and must not change the
// host's clock). The offset is kept in a file with the kernel's boot id: it
// counts as "set" (app/clock.ts) only in the boot it was set in. A reboot is
// this RTC's power loss: a board without a battery clock may come up at a
// stale time, so the device waits for the agency's next signed TIME, as a
// microcontroller does after a power loss. The clock floor (app/clock.ts)
// still refuses a clock set behind it.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { Rtc } from "../../hal/clock";

const BOOT_ID = "/proc/sys/kernel/random/boot_id";

function bootId(): string {
  try {
    return readFileSync(BOOT_ID, "utf8").trim();
  } catch {
    return "process-" + process.pid; // no boot id: set counts for this run only
  }
}

export interface RtcOptions {
  /** Where the offset is kept instead of `path` (the sealed folder's ".rtc": node/folder-seal.ts). */
  file?: { read(): string | undefined; write(s: string): void; erase(): void };
  /** Start unset and forget the kept offset (the flash folder failed its check): untrusted until a signed TIME. */
  distrust?: boolean;
}

export interface SystemRtc extends Rtc {
  /** Unset now and forget the kept offset: untrusted until the next signed TIME. */
  distrust(): void;
}

/** A wall clock that moved this far from the monotonic clock (ms) was set by someone: untrusted. */
export const MAX_CLOCK_DRIFT_MS = 2000;

/**
 * `path` keeps {"boot": id, "offset": seconds}; `now` is the system clock in
 * ms and `mono` a monotonic clock in ms (parameters for tests). The system
 * clock is checked against the monotonic one on every reading: a jump (the
 * host's clock moved back or forward, by hand or by a time server) makes the
 * device's clock unset, so untrusted until the agency's next signed TIME
 * (issue 21: a wall clock moved back 3 hours must not make an old screenshot green).
 */
export function systemRtc(
  path: string,
  now: () => number = Date.now,
  mono: () => number = () => Number(process.hrtime.bigint() / 1000000n),
  o: RtcOptions = {},
): SystemRtc {
  const boot = bootId();
  const file = o.file ?? { read: () => readFileSync(path, "utf8"), write: (s: string) => (writeFileSync(path + ".new", s, { mode: 0o600 }), renameSync(path + ".new", path)), erase: () => {} };
  let offset = 0;
  let set = false;
  try {
    if (o.distrust === true) {
      file.erase(); // untrusted until the next signed TIME, over restarts too
      throw new Error("distrusted");
    }
    const j = JSON.parse(file.read() ?? "") as { boot?: unknown; offset?: unknown; base?: unknown };
    // The monotonic clock counts from the boot: a wall clock moved while the verifier was stopped shows too.
    const still = typeof j.base === "number" && Math.abs(now() - mono() - j.base) <= MAX_CLOCK_DRIFT_MS;
    if (j.boot === boot && still && typeof j.offset === "number" && Number.isSafeInteger(j.offset)) {
      offset = j.offset;
      set = true;
    }
  } catch {
    // none yet, or unreadable: not set
  }
  const system = () => Math.floor(now() / 1000);
  // The wall clock minus the monotonic one: constant while nobody moves the wall clock.
  let base = now() - mono();
  const jumped = () => {
    const d = now() - mono() - base;
    if (d > MAX_CLOCK_DRIFT_MS || d < -MAX_CLOCK_DRIFT_MS) set = false;
  };
  return {
    seconds: () => {
      jumped();
      return system() + offset;
    },
    set(t) {
      base = now() - mono();
      offset = t - system();
      set = true;
      file.write(JSON.stringify({ boot, offset, base }));
    },
    wasSet: () => {
      jumped();
      return set;
    },
    distrust() {
      set = false;
      file.erase();
    },
  };
}
