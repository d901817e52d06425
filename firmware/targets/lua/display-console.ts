// Debug only: screens as text through print(), which NodeMCU sends to uart 0,
// the admin line. A device never ships with this display; the build config
// names it explicitly (the stdio HAL prints it on its stdout).
import type { Display, Screen } from "../../hal/display";

/** @noSelf */
declare function print(...args: unknown[]): void;

export interface ConsoleOptions {
  type: "console";
}

export function display(o: ConsoleOptions): Display {
  return {
    show(s: Screen): void {
      let t = "[" + s.color + "] " + s.title;
      for (let i = 0; i < s.lines.length; i++) t += " | " + s.lines[i];
      for (let i = 0; i < s.warnings.length; i++) t += " ! " + s.warnings[i];
      print(t);
    },
  };
}
