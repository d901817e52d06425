// Issue 24, items 5 and 6: the simulator keeps only the latest screens and LED
// events (a long run stays in bounded memory), and the camera path hands on a
// code's text exactly as encoded (control characters included, never zxing's
// "<SOH>" escapes).
import { describe, expect, it } from "vitest";
import QRCode from "qrcode";
import { HISTORY_KEPT, SimDisplay, SimIndicator } from "../firmware/targets/node/screen";
import { zxingRead } from "../firmware/targets/node/zxing-decoder";
import type { Screen } from "../firmware/hal/display";
import { SimConsole } from "../sim/console";

describe("the simulator's history", () => {
  it(`keeps the latest ${HISTORY_KEPT} screens and LED events, however many came`, () => {
    const display = new SimDisplay();
    const indicator = new SimIndicator();
    for (let i = 0; i < 1000; i++) {
      const s: Screen = { color: "neutral", title: "screen " + i, lines: [], warnings: [] };
      display.show(s);
      indicator.signal(i % 2 === 0 ? "ok" : "fail");
    }
    expect(display.history.length).toBe(HISTORY_KEPT);
    expect(display.history[0].title).toBe("screen " + (1000 - HISTORY_KEPT));
    expect(display.history[HISTORY_KEPT - 1].title).toBe("screen 999");
    expect(indicator.events.length).toBe(HISTORY_KEPT);
    expect(indicator.events[HISTORY_KEPT - 1]).toBe("fail");
  });
});

describe("the camera path's text", () => {
  it("a code whose text holds control characters is read exactly as encoded", async () => {
    const text = "\x01\x10AD:" + "PINDAI".repeat(4);
    const qr = QRCode.create([{ data: Buffer.from(text, "latin1"), mode: "byte" }], { errorCorrectionLevel: "M" });
    const n = qr.modules.size;
    const scale = 6;
    const quiet = 4;
    const width = (n + 2 * quiet) * scale;
    const luma = new Uint8Array(width * width).fill(255);
    for (let y = 0; y < n; y++)
      for (let x = 0; x < n; x++)
        if (qr.modules.get(x, y))
          for (let dy = 0; dy < scale; dy++)
            for (let dx = 0; dx < scale; dx++) luma[((y + quiet) * scale + dy) * width + (x + quiet) * scale + dx] = 0;
    const found = await zxingRead({ width, height: width, luma });
    expect(found.texts).toEqual([text]);
  });
});

describe("pindai sim --script: the device's timers between lines", () => {
  it("settle, as the script runner does before each line, lets the table maker finish as on a device", async () => {
    const con = new SimConsole({ color: false });
    expect(con.device.app.tables.busy()).toBe(true); // a provisioned device starts making its tables
    expect(con.device.app.tables.tables.keys.length).toBe(0);
    await con.settle(60_000);
    expect(con.device.app.tables.busy()).toBe(false);
    expect(con.device.app.tables.tables.base).toBeDefined();
    expect(con.device.app.tables.tables.keys.length).toBeGreaterThan(0);
  }, 90_000);
});
