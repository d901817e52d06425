// Bangle.js 2's built-in 176x176 LCD, through its global `g`: 3-bit colour
// (bit 2 red, bit 1 green, bit 0 blue, so amber is yellow there); g.flip() sends the frame.
import type { Display, Ink } from "../../hal/display";
import { PanelDisplay } from "../../app/layout";
import { graphicsCanvas } from "./display-canvas";

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const g: any;

export interface Bangle2Options {
  type: "bangle2";
}

const RGB3: Record<Ink, number> = { black: 0, white: 7, green: 2, red: 4, amber: 6, grey: 1, yellow: 7 };

export function display(o: Bangle2Options): Display {
  return new PanelDisplay(graphicsCanvas(() => g, 176, 176, true, 4, (i: Ink) => RGB3[i], () => g.flip()));
}
