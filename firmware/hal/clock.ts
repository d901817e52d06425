// A real-time clock. It knows whether it has been set since it last lost
// power; the app adds the other half of "trusted": not before the build time.
export interface Rtc {
  /** Seconds since 1970-01-01T00:00:00Z as the RTC counts them. */
  seconds(): number;
  set(seconds: number): void;
  /** False after a power loss until set() is called. */
  wasSet(): boolean;
}
