// ST7789 colour LCD over SPI, 240x240 or 240x135. A whole frame at 16 bits
// would take 115 KB of RAM, so the frame is drawn in stripes of 24 rows (as
// u8g2's page mode does): each stripe is a 2-bit Graphics (four inks per
// frame), the frame's rectangles and texts are drawn into it again, and each
// row goes out through E.mapInPlace as RGB565. Commands from the ST7789V
// datasheet (section 9.1): SWRESET, SLPOUT, COLMOD, MADCTL, INVON, DISPON,
// CASET/RASET/RAMWR.
import type { Canvas, Display, Ink } from "../../hal/display";
import { PanelDisplay } from "../../app/layout";

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const Graphics: any;
declare const E: any;
declare const global: any;
declare function digitalWrite(pin: any, value: number): void;
declare function getTime(): number;

export interface St7789Options {
  type: "st7789";
  height: 240 | 135;
  /** The SPI bus object's name (default SPI1). */
  spi?: string;
  sck: string;
  mosi: string;
  cs: string;
  dc: string;
  rst?: string;
  /** Backlight pin, switched on at start. */
  bl?: string;
  baud?: number;
  /** Where the visible window starts in the controller's RAM, and its orientation (MADCTL). */
  xoff?: number;
  yoff?: number;
  madctl?: number;
}

const W = 240;
const STRIPE = 24;
/** RGB565, bytes swapped: the panel takes the high byte first, a Uint16Array keeps the low byte first. */
const RGB: Record<Ink, number> = { black: 0x0000, white: 0xffff, green: 0x471c, red: 0x25c1, amber: 0x04f5, grey: 0xa929, yellow: 0x89fe };

function wait(ms: number): void {
  const until = getTime() + ms / 1000;
  while (getTime() < until) {
    // the controller needs this long after a reset or sleep-out (datasheet 9.1.2, 9.1.12)
  }
}

/** A column or row window: first and last address, each as two bytes, high first (arithmetic, the portable subset). */
function window(first: number, n: number): number[] {
  const last = first + n - 1;
  return [Math.floor(first / 256), first % 256, Math.floor(last / 256), last % 256];
}

export function display(o: St7789Options): Display {
  const H = o.height;
  const spi = global[o.spi === undefined ? "SPI1" : o.spi];
  spi.setup({ sck: o.sck, mosi: o.mosi, baud: o.baud === undefined ? 8000000 : o.baud });
  const cmd = (c: number, data: number[]) => {
    digitalWrite(o.dc, 0);
    spi.write(c, o.cs);
    digitalWrite(o.dc, 1);
    if (data.length > 0) spi.write(data, o.cs);
  };
  if (o.bl !== undefined) digitalWrite(o.bl, 1);
  if (o.rst !== undefined) {
    digitalWrite(o.rst, 0);
    wait(10);
    digitalWrite(o.rst, 1);
  }
  cmd(0x01, []); // SWRESET
  wait(150);
  cmd(0x11, []); // SLPOUT
  wait(120);
  cmd(0x3a, [0x55]); // 16 bits per pixel
  cmd(0x36, [o.madctl === undefined ? (H === 135 ? 0x60 : 0) : o.madctl]);
  cmd(0x21, []); // INVON: IPS panels show true colours inverted
  cmd(0x13, []); // NORON
  cmd(0x29, []); // DISPON
  const x0 = o.xoff === undefined ? (H === 135 ? 40 : 0) : o.xoff;
  const y0 = o.yoff === undefined ? (H === 135 ? 53 : 0) : o.yoff;

  const stripe = Graphics.createArrayBuffer(W, STRIPE, 2, { msb: true });
  const row = new Uint16Array(W);
  const rowBytes = new Uint8Array(row.buffer);
  // The frame as drawn: [kind (0 rect, 1 text), x, y, w or font, h, palette index, text].
  let ops: any[] = [];
  let inks: Ink[] = [];
  const palette = new Uint16Array(4);
  const index = (i: Ink): number => {
    for (let k = 0; k < inks.length; k++) if (inks[k] === i) return k;
    if (inks.length < 4) inks.push(i);
    else inks[3] = i; // a fifth ink in one frame takes the last slot
    const k = inks.length - 1;
    palette[k] = RGB[i];
    return k;
  };
  const canvas: Canvas = {
    width: W,
    height: H,
    colour: true,
    fonts: H === 135 ? 4 : 6,
    fontHeight: (f: number) => 8 * (f + 1),
    textWidth(f: number, t: string): number {
      stripe.setFont("6x8", f + 1);
      return stripe.stringWidth(t);
    },
    rect(x: number, y: number, w: number, h: number, i: Ink): void {
      ops.push([0, x, y, w, h, index(i), ""]);
    },
    text(x: number, y: number, f: number, t: string, i: Ink): void {
      ops.push([1, x, y, f, 0, index(i), t]);
    },
    flush(): void {
      cmd(0x2a, window(x0, W));
      cmd(0x2b, window(y0, H));
      cmd(0x2c, []);
      stripe.setFontAlign(-1, -1);
      for (let top = 0; top < H; top += STRIPE) {
        stripe.clear();
        for (let k = 0; k < ops.length; k++) {
          const p = ops[k];
          stripe.setColor(p[5]);
          if (p[0] === 0) stripe.fillRect(p[1], p[2] - top, p[1] + p[3] - 1, p[2] - top + p[4] - 1);
          else {
            stripe.setFont("6x8", p[3] + 1);
            stripe.drawString(p[6], p[1], p[2] - top);
          }
        }
        for (let r = 0; r < STRIPE && top + r < H; r++) {
          E.mapInPlace(new Uint8Array(stripe.buffer, (r * W) / 4, W / 4), row, palette, 2);
          spi.write(rowBytes, o.cs);
        }
      }
      ops = [];
      inks = [];
    },
  };
  return new PanelDisplay(canvas);
}
