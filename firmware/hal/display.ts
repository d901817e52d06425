// The screen: the app describes what to show (a Screen), the layout
// (app/layout.ts) turns it into rectangles and text for one panel, and the
// target's driver draws those on its panel (a Canvas). The app never draws
// pixels; a driver never decides what goes where.
export type ScreenColor = "green" | "red" | "amber" | "neutral";

/**
 * What the screen is for: a verdict on the holder (ok, refused), a device
 * that cannot verify (fault: amber, "call the administrator", never the
 * holder's red), a read to repeat (retry), idle, or a card being read.
 */
export type ScreenKind = "idle" | "checking" | "ok" | "refused" | "fault" | "retry";

export interface Screen {
  color: ScreenColor;
  /** One big word or two: SAH / DITOLAK, VALID / REJECTED. */
  title: string;
  /** The holder's fields on OK, the reason on red, a prompt when idle (text consoles and the transcript). */
  lines: string[];
  /** Amber notes shown apart from the verdict (stale key set, clock, already used). */
  warnings: string[];
  /** Absent: drawn as a plain screen of title and lines. */
  kind?: ScreenKind;
  /** OK: the holder's full name, wrapped on the panel (never cut mid-word). */
  name?: string;
  /** Short rows for a panel, most important first (absent: lines). */
  facts?: string[];
  /** The corner text of the footer: the running verdict number ("#12"), the device id when idle. */
  corner?: string;
  /** While a verdict stays up: seconds left of total (a bar counts down). */
  left?: number;
  total?: number;
}

export interface Display {
  show(screen: Screen): void;
}

/** A screen as debug text: "[colour] title", then each line after lineSep and each warning after warnSep. */
export function screenAsText(s: Screen, lineSep: string, warnSep: string): string {
  let t = "[" + s.color + "] " + s.title;
  for (let i = 0; i < s.lines.length; i++) t += lineSep + s.lines[i];
  for (let i = 0; i < s.warnings.length; i++) t += warnSep + s.warnings[i];
  return t;
}

/** The colours a layout paints with; a monochrome panel draws "black" off and every other ink on. */
export type Ink = "black" | "white" | "green" | "red" | "amber" | "grey" | "yellow";

/** The metrics a layout needs from a panel: its size and its fonts, measured by the fonts themselves. */
export interface PanelMetrics {
  width: number;
  height: number;
  /** False: one bit per pixel (a band is inverted instead of coloured). */
  colour: boolean;
  /** Font sizes 0 .. fonts-1, smallest first. */
  fonts: number;
  fontHeight(font: number): number;
  textWidth(font: number, text: string): number;
}

/** A panel's driver: the primitives, drawn into its frame, shown on flush. */
export interface Canvas extends PanelMetrics {
  rect(x: number, y: number, w: number, h: number, ink: Ink): void;
  /** Text with its top-left corner at x, y. */
  text(x: number, y: number, font: number, text: string, ink: Ink): void;
  flush(): void;
}
