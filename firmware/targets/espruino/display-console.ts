// Debug only: screens as text on the JavaScript console. The console is the
// admin line once unlocked (and stdout on Espruino for Linux), so a device
// never ships with this display: the build config names it explicitly.
import { screenAsText, type Display, type Screen } from "../../hal/display";

export interface ConsoleOptions {
  type: "console";
}

export function display(o: ConsoleOptions): Display {
  return {
    show(s: Screen): void {
      console.log(screenAsText(s, "\n  ", "\n  ! "));
    },
  };
}
