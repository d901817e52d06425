// Bundled for Espruino by host/build/screens.ts: every Espruino display
// driver, exactly as an image bundles it, draws a list of screens. The
// harness in front of it stands in for the panel's bus (I2C1, SPI1) or the
// board's `g`, and prints each frame as it leaves the driver.
import type { Screen } from "../../firmware/hal/display";
import { type PanelDisplay, layout } from "../../firmware/app/layout";
import { display as ssd1306 } from "../../firmware/targets/espruino/display-ssd1306";
import { display as st7789 } from "../../firmware/targets/espruino/display-st7789";
import { display as pixl } from "../../firmware/targets/espruino/display-pixl";
import { display as bangle2 } from "../../firmware/targets/espruino/display-bangle2";

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const process: any;
declare function print(s: string): void;

function make(panel: string): PanelDisplay {
  if (panel === "ssd1306") return ssd1306({ type: "ssd1306", sda: "D4", scl: "D5" }) as PanelDisplay;
  if (panel === "st7789-240") return st7789({ type: "st7789", height: 240, sck: "D6", mosi: "D7", cs: "D8", dc: "D9" }) as PanelDisplay;
  if (panel === "st7789-135") return st7789({ type: "st7789", height: 135, sck: "D6", mosi: "D7", cs: "D8", dc: "D9" }) as PanelDisplay;
  if (panel === "pixl") return pixl({ type: "pixl" }) as PanelDisplay;
  return bangle2({ type: "bangle2" }) as PanelDisplay;
}

/** Draw each screen; after each, the layout's ops ("@@O") and the variables in use ("@@M"). */
export function drawAll(panel: string, screens: Screen[]): void {
  const before = process.memory().usage;
  const d = make(panel);
  for (let i = 0; i < screens.length; i++) {
    d.show(screens[i]);
    print("@@O " + JSON.stringify(layout(screens[i], d.canvas))); // what SCREEN answers: the screen laid out again
    if (i === 0) print("@@M " + (process.memory().usage - before));
  }
}
