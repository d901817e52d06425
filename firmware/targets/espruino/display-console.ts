// Debug only: screens as text on the JavaScript console. The console is the
// admin line once unlocked (and stdout on Espruino for Linux), so a device
// never ships with this display: the build config names it explicitly.
import type { Display, Screen } from "../../hal/display";

export interface ConsoleOptions {
  type: "console";
}

export function display(o: ConsoleOptions): Display {
  return {
    show(s: Screen): void {
      let t = "[" + s.color + "] " + s.title;
      for (let i = 0; i < s.lines.length; i++) t += "\n  " + s.lines[i];
      for (let i = 0; i < s.warnings.length; i++) t += "\n  ! " + s.warnings[i];
      console.log(t);
    },
  };
}
