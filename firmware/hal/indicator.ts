// LED and buzzer. One short beep with green for OK, one long beep with red
// for a refusal, a double beep with amber for a warning, off when idle.
export type Signal = "ok" | "fail" | "warn" | "off";

export interface Indicator {
  signal(s: Signal): void;
}
