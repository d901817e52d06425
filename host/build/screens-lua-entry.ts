// Compiled to Lua by host/build/screens.ts: the Lua image's SSD1306 driver
// (NodeMCU u8g2) draws a list of screens; u8g2-standin.lua in front of it
// writes each frame.
import type { Screen } from "../../firmware/hal/display";
import { display } from "../../firmware/targets/lua/display-ssd1306";

export function drawAll(this: void, screens: Screen[]): void {
  const d = display({ type: "ssd1306", sda: 21, scl: 22 });
  for (let i = 0; i < screens.length; i++) d.show(screens[i]);
}
