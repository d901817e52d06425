// One-shot timers and a monotonic millisecond counter. Everything that waits
// for hardware waits through these, so every wait has a timeout and the
// simulator can run time fast.
export type TimerHandle = number;

export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Monotonic milliseconds (not wall time). */
  millis(): number;
}
