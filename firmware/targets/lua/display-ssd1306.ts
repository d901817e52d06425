// SSD1306 128x64 OLED over I2C through NodeMCU's u8g2 module (full-buffer
// mode: clearBuffer, draw, sendBuffer). The firmware must be built with the
// u8g2 module, the ssd1306_i2c_128x64_noname driver and the fonts
// font_6x10_tf, font_7x14B_tf and font_10x20_tf (NodeMCU's u8g2_fonts.h / u8g2_displays.h).
// The layout measures with u8g2's own getStrWidth, so it wraps as u8g2 draws.
import type { Canvas, Display, Ink } from "../../hal/display";
import { PanelDisplay } from "../../app/layout";

/** @noSelf */
declare namespace i2c {
  const FAST: number;
  function setup(id: number, sda: number, scl: number, speed: number): void;
}
interface U8g2Font {
  readonly font: true;
}
interface U8g2Display {
  clearBuffer(): void;
  sendBuffer(): void;
  setFont(f: U8g2Font): void;
  setFontPosTop(): void;
  setDrawColor(c: number): void;
  drawBox(x: number, y: number, w: number, h: number): void;
  drawStr(x: number, y: number, s: string): void;
  getStrWidth(s: string): number;
  getAscent(): number;
  getDescent(): number;
}
/** @noSelf */
declare namespace u8g2 {
  function ssd1306_i2c_128x64_noname(id: number, addr: number): U8g2Display;
  const font_6x10_tf: U8g2Font;
  const font_7x14B_tf: U8g2Font;
  const font_10x20_tf: U8g2Font;
}

export interface Ssd1306Options {
  type: "ssd1306";
  /** NodeMCU's I2C bus id (0 on ESP32). */
  i2c?: number;
  sda: number;
  scl: number;
  /** 7-bit address, 0x3C on most modules. */
  addr?: number;
}

export function display(o: Ssd1306Options): Display {
  const id = o.i2c === undefined ? 0 : o.i2c;
  i2c.setup(id, o.sda, o.scl, i2c.FAST);
  const disp = u8g2.ssd1306_i2c_128x64_noname(id, o.addr === undefined ? 0x3c : o.addr);
  const fonts = [u8g2.font_6x10_tf, u8g2.font_7x14B_tf, u8g2.font_10x20_tf];
  const heights: number[] = [];
  for (let f = 0; f < fonts.length; f++) {
    disp.setFont(fonts[f]);
    heights.push(disp.getAscent() - disp.getDescent());
  }
  disp.setFontPosTop();
  disp.clearBuffer();
  const canvas: Canvas = {
    width: 128,
    height: 64,
    colour: false,
    fonts: fonts.length,
    fontHeight: (f: number) => heights[f],
    textWidth(f: number, t: string): number {
      disp.setFont(fonts[f]);
      return disp.getStrWidth(t);
    },
    rect(x: number, y: number, w: number, h: number, ink: Ink): void {
      disp.setDrawColor(ink === "black" ? 0 : 1);
      disp.drawBox(x, y, w, h);
    },
    text(x: number, y: number, f: number, t: string, ink: Ink): void {
      disp.setDrawColor(ink === "black" ? 0 : 1);
      disp.setFont(fonts[f]);
      disp.drawStr(x, y, t);
    },
    flush(): void {
      disp.sendBuffer();
      disp.clearBuffer();
    },
  };
  return new PanelDisplay(canvas);
}
