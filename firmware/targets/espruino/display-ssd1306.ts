// SSD1306 128x64 OLED over I2C (the common $3 module): a 1 KB frame in
// Espruino's Graphics, laid out as the controller's pages (vertical_byte),
// sent whole on each flush. Commands from the SSD1306 datasheet (rev 1.1,
// section 9 and the application note's init sequence).
import type { Display } from "../../hal/display";
import { PanelDisplay } from "../../app/layout";
import { graphicsCanvas, monoInk } from "./display-canvas";

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const Graphics: any;
declare const global: any;

export interface Ssd1306Options {
  type: "ssd1306";
  /** The I2C bus object's name (default I2C1). */
  i2c?: string;
  sda: string;
  scl: string;
  /** 7-bit address, 0x3C on most modules (0x3D with the address jumper). */
  addr?: number;
  bitrate?: number;
}

const INIT = [
  0xae, // display off
  0xd5, 0x80, // clock divide
  0xa8, 0x3f, // multiplex: 64 rows
  0xd3, 0x00, // display offset 0
  0x40, // start line 0
  0x8d, 0x14, // charge pump on
  0x20, 0x00, // horizontal addressing
  0xa1, 0xc8, // segment remap, COM scan down: the module's top-left is (0,0)
  0xda, 0x12, // COM pins
  0x81, 0xcf, // contrast
  0xd9, 0xf1, // precharge
  0xdb, 0x40, // VCOMH
  0xa4, 0xa6, // show RAM, not inverted
  0xaf, // display on
];

export function display(o: Ssd1306Options): Display {
  const bus = global[o.i2c === undefined ? "I2C1" : o.i2c];
  const addr = o.addr === undefined ? 0x3c : o.addr;
  bus.setup({ sda: o.sda, scl: o.scl, bitrate: o.bitrate === undefined ? 400000 : o.bitrate });
  for (let i = 0; i < INIT.length; i++) bus.writeTo(addr, 0, INIT[i]);
  // The frame is made for each screen and let go once sent: the panel keeps the picture in its
  // own RAM, and the 1 KB frame with its Graphics is about 200 variables a 5,100-variable board
  // needs while it verifies. A new frame is all black, as each screen starts.
  let g: any;
  // msb: false said outright: bit 0 is the top row of a page, as the controller reads it (Espruino 2v29 defaults to msb).
  const gfx = () => g || (g = Graphics.createArrayBuffer(128, 64, 1, { vertical_byte: true, msb: false }));
  const flush = () => {
    const cmds = [0x21, 0, 127, 0x22, 0, 7]; // the whole screen: columns 0-127, pages 0-7
    for (let i = 0; i < cmds.length; i++) bus.writeTo(addr, 0, cmds[i]);
    const chunk = new Uint8Array(129);
    chunk[0] = 0x40; // what follows is display data
    for (let p = 0; p < 1024; p += 128) {
      chunk.set(new Uint8Array(gfx().buffer, p, 128), 1);
      bus.writeTo(addr, chunk);
    }
    g = undefined;
  };
  return new PanelDisplay(graphicsCanvas(gfx, 128, 64, false, 2, monoInk, flush));
}
