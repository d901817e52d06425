// Pixl.js's built-in 128x64 monochrome LCD, through its global `g`; g.flip() sends the frame.
import type { Display } from "../../hal/display";
import { PanelDisplay } from "../../app/layout";
import { graphicsCanvas, monoInk } from "./display-canvas";

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const g: any;

export interface PixlOptions {
  type: "pixl";
}

export function display(o: PixlOptions): Display {
  return new PanelDisplay(graphicsCanvas(() => g, 128, 64, false, 2, monoInk, () => g.flip()));
}
