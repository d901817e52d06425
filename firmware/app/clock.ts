// SPEC section 3: the clock is trusted only when the RTC has been set since
// it last lost power and reads no earlier than the firmware's build time.
import type { TrustedTime } from "../core/trust";
import type { Rtc } from "../hal/clock";

export function trustedTime(rtc: Rtc, buildTime: number): TrustedTime {
  const now = rtc.seconds();
  return { now, trusted: rtc.wasSet() && now >= buildTime };
}
