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

/** `path` keeps {"boot": id, "offset": seconds}; `now` is the system clock in ms (a parameter for tests). */
export function systemRtc(path: string, now: () => number = Date.now): Rtc {
  const boot = bootId();
  let offset = 0;
  let set = false;
  try {
    const j = JSON.parse(readFileSync(path, "utf8")) as { boot?: unknown; offset?: unknown };
    if (j.boot === boot && typeof j.offset === "number" && Number.isSafeInteger(j.offset)) {
      offset = j.offset;
      set = true;
    }
  } catch {
    // none yet, or unreadable: not set
  }
  const system = () => Math.floor(now() / 1000);
  return {
    seconds: () => system() + offset,
    set(t) {
      offset = t - system();
      set = true;
      writeFileSync(path + ".new", JSON.stringify({ boot, offset }), { mode: 0o600 });
      renameSync(path + ".new", path);
    },
    wasSet: () => set,
  };
}
