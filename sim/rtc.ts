// A virtual real-time clock: settable, can run fast or be stepped, and can
// lose power (then it is no longer "set" until the agency sets it again).
import type { Rtc } from "../firmware/hal/clock";

export class VirtualRtc implements Rtc {
  private base: number;
  private since = performance.now();
  private set_ = false;

  /** speed: virtual seconds per real second (0 = only moves when stepped). */
  constructor(start = 0, public speed = 1) {
    this.base = start;
  }

  seconds(): number {
    return Math.floor(this.base + ((performance.now() - this.since) / 1000) * this.speed);
  }

  set(seconds: number): void {
    this.base = seconds;
    this.since = performance.now();
    this.set_ = true;
  }

  wasSet(): boolean {
    return this.set_;
  }

  /** Move the clock forward (e.g. "two minutes later"). */
  advance(seconds: number): void {
    this.base += seconds;
  }

  /** The backup battery ran out: the time restarts from the epoch and is not trusted. */
  powerLoss(): void {
    this.base = 0;
    this.since = performance.now();
    this.set_ = false;
  }
}
