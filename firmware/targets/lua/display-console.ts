// Debug only: screens as text through print(), which NodeMCU sends to uart 0,
// the admin line. A device never ships with this display; the build config
// names it explicitly (the stdio HAL prints it on its stdout).
import { screenAsText, type Display, type Screen } from "../../hal/display";

/** @noSelf */
declare function print(...args: unknown[]): void;

export interface ConsoleOptions {
  type: "console";
}

export function display(o: ConsoleOptions): Display {
  return {
    show(s: Screen): void {
      print(screenAsText(s, " | ", " ! "));
    },
  };
}
