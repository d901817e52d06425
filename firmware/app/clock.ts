// SPEC section 3 and docs/SPEC.md section 6: the RTC is trusted only when it
// has been set since it last lost power and reads no earlier than the time
// floor. The floor is the highest of: the firmware's build time, the last
// signed time, the time of the last audit record made with a trusted clock,
// and evidence seen while the clock was trusted (a key set's `issued`, an OK
// code's iat minus the skew), never above that trusted time: nothing unsigned
// can push the floor past now. A clock set back below it is CLOCK_NOT_TRUSTED,
// never green; only a signed time at or above it restores trust, and a root's
// may go anywhere down to the build time (recovery from a floor set too high).
import type { TrustedTime } from "../core/trust";
import type { Rtc } from "../hal/clock";
import type { Storage } from "../hal/storage";
import { UNTRUSTED_BIT } from "./audit-log";
import { FlashNumber } from "./flash-record";

export const FLOOR_FILE = "clock.floor";

export class ClockFloor {
  private readonly stored: FlashNumber;
  /** The time of the newest audit record written with a trusted clock. */
  private lastLogged = 0;

  constructor(
    storage: Storage,
    private readonly rtc: Rtc,
    private readonly buildTime: number,
    /** The time of the newest audit record made with a trusted clock (AuditLog.lastTrustedTime). */
    lastLogged: number,
  ) {
    this.stored = new FlashNumber(storage, FLOOR_FILE);
    this.lastLogged = lastLogged;
  }

  /** What even a root's signed time cannot go below: the build time. */
  hardFloor(): number {
    return this.buildTime;
  }

  floor(): number {
    let f = this.buildTime;
    const s = this.stored.get();
    if (s > f) f = s;
    if (this.lastLogged > f) f = this.lastLogged;
    return f;
  }

  time(): TrustedTime {
    const now = this.rtc.seconds();
    return { now, trusted: this.rtc.wasSet() && now >= this.floor() };
  }

  /**
   * Evidence that the time is at least t (an OK code's iat minus the skew, an
   * installed key set's issue time): kept only on a trusted clock, and never
   * above it.
   */
  raise(t: number): void {
    const now = this.time();
    if (!now.trusted) return;
    const v = t < now.now ? t : now.now;
    if (v > this.floor()) this.stored.set(v);
  }

  /** A signed time was set; a root's may lower the floor (recovery from a clock run fast). */
  signedTime(t: number, byRoot: boolean): void {
    if (byRoot) this.stored.set(t);
    else this.stored.raise(t);
  }

  /** An audit record was written (its time and warning bits). */
  logged(time: number, warnings: number): void {
    if ((warnings & UNTRUSTED_BIT) === 0) this.lastLogged = time;
  }
}
