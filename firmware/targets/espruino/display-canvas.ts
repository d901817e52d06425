// The one Canvas every Espruino display driver draws through: Espruino's own
// Graphics (an ArrayBuffer frame, or the board's built-in `g`), text in its
// "6x8" font at scales 1..n, so the layout (app/layout.ts) measures with the
// font that draws. A driver gives the Graphics (through a function: a driver
// may make it for each frame and let it go in flush), how an ink becomes a
// colour number, and what flush sends to the panel.
import type { Canvas, Ink } from "../../hal/display";

/* eslint-disable @typescript-eslint/no-explicit-any */

/** A colour number for each ink, in the frame's own format. */
export type InkMap = (ink: Ink) => number;

/** Monochrome: black is off, every other ink on. */
export const monoInk: InkMap = (ink: Ink) => (ink === "black" ? 0 : 1);

export function graphicsCanvas(gfx: () => any, width: number, height: number, colour: boolean, scales: number, ink: InkMap, flush: () => void): Canvas {
  return {
    width,
    height,
    colour,
    fonts: scales,
    fontHeight: (f: number) => 8 * (f + 1),
    textWidth(f: number, t: string): number {
      const g = gfx();
      g.setFont("6x8", f + 1);
      return g.stringWidth(t);
    },
    rect(x: number, y: number, w: number, h: number, i: Ink): void {
      const g = gfx();
      g.setColor(ink(i));
      g.fillRect(x, y, x + w - 1, y + h - 1);
    },
    text(x: number, y: number, f: number, t: string, i: Ink): void {
      const g = gfx();
      g.setColor(ink(i));
      g.setFont("6x8", f + 1);
      g.setFontAlign(-1, -1);
      g.drawString(t, x, y);
    },
    flush,
  };
}
