// The screen: the app describes what to show, the target draws it (an LCD,
// the simulator's terminal and PNG). The app never draws pixels.
export type ScreenColor = "green" | "red" | "amber" | "neutral";

export interface Screen {
  color: ScreenColor;
  /** One big word or two: SAH / DITOLAK, VALID / REJECTED. */
  title: string;
  /** The holder's fields on OK, the reason on red, a prompt when idle. */
  lines: string[];
  /** Amber notes shown apart from the verdict (stale key set, clock, already used). */
  warnings: string[];
}

export interface Display {
  show(screen: Screen): void;
}
