// A build config's target block merges over the target's defaults key by key
// (issue 13): giving only espruino.scanEngine keeps the reader and the LEDs,
// null turns a default off; and `npm run build` prints the effective config
// before it builds, so what goes into an image is never a surprise.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TARGET_OPTIONS, describeBuild, parseBuildFile, resolveBuild } from "../host/build/config";

describe("the effective build config", () => {
  it("a target block with only scanEngine keeps the default reader and LEDs", () => {
    const b = resolveBuild(parseBuildFile(JSON.stringify({ espruino: { scanEngine: { port: "Serial2", baud: 19200 } } }), "c.json"));
    expect(b.espruino).toEqual({ ...TARGET_OPTIONS.espruino.defaults, scanEngine: { port: "Serial2", baud: 19200 } });
    expect(b.espruino.reader).toEqual({ port: "Serial2", baud: 115200 });
    expect(b.espruino.ledGreen).toBe("LED2");
    expect(b.lua).toEqual(TARGET_OPTIONS.lua.defaults);
  });

  it("null turns a default off; other keys still merge; the defaults object is never changed", () => {
    const before = JSON.stringify(TARGET_OPTIONS);
    const b = resolveBuild(parseBuildFile(JSON.stringify({ lua: { reader: null, ledGreen: 4 }, espruino: { buzzer: "D13", ledRed: null } }), "c.json"));
    expect(b.lua).toEqual({ scanEngine: { id: 1, baud: 115200 }, ledGreen: 4, display: LUA_DISPLAY });
    expect(b.espruino).toEqual({ scanEngine: { port: "Serial1", baud: 115200 }, reader: { port: "Serial2", baud: 115200 }, ledGreen: "LED2", buzzer: "D13" });
    expect(JSON.stringify(TARGET_OPTIONS)).toBe(before);
  });

  it("null is only for target keys; a top-level null or a bad value inside a block is still refused", () => {
    expect(() => parseBuildFile(JSON.stringify({ lang: null }), "c.json")).toThrow(/lang: expected "id" or "en"/);
    expect(() => parseBuildFile(JSON.stringify({ espruino: { reader: { port: "Serial9", baud: 9600 } } }), "c.json")).toThrow(/espruino.reader.port/);
    // espruino.tables: true or false (the tables made where the pool has room, or never).
    expect(parseBuildFile(JSON.stringify({ espruino: { tables: false } }), "c.json").espruino).toEqual({ tables: false });
    expect(() => parseBuildFile(JSON.stringify({ espruino: { tables: "no" } }), "c.json")).toThrow(/espruino.tables: expected true or false/);
    // luaLfs: the Lua image for NodeMCU's LFS (every function kept in it; the cost model boots it, test/cortex-m.test.ts).
    expect(resolveBuild(parseBuildFile(JSON.stringify({ luaLfs: true }), "c.json")).luaLfs).toBe(true);
    expect(resolveBuild(parseBuildFile("{}", "c.json")).luaLfs).toBe(false);
    expect(() => parseBuildFile(JSON.stringify({ luaLfs: 1 }), "c.json")).toThrow(/luaLfs: expected true or false/);
    // A Lua uart's pins (an ESP32's): both or neither, each a GPIO number.
    const uart = (scanEngine: unknown) => parseBuildFile(JSON.stringify({ lua: { scanEngine } }), "c.json");
    expect(resolveBuild(uart({ id: 2, baud: 115200, tx: 17, rx: 16 })).lua.scanEngine).toEqual({ id: 2, baud: 115200, tx: 17, rx: 16 });
    expect(() => uart({ id: 2, baud: 115200, tx: 17 })).toThrow(/lua.scanEngine: give both tx and rx/);
    expect(() => uart({ id: 2, baud: 115200, rx: 16 })).toThrow(/lua.scanEngine: give both tx and rx/);
    expect(() => uart({ id: 2, baud: 115200, tx: 40, rx: 16 })).toThrow(/lua.scanEngine.tx: expected a whole number from 0 to 39/);
    expect(() => uart({ id: 0, baud: 115200, tx: 1, rx: 3 })).toThrow(/lua.scanEngine: uart 0 is NodeMCU's console: it takes no pins/);
  });

  it("a display block is checked against its type: pins it cannot guess are required, unknown types and keys refused", () => {
    const parse = (display: unknown) => parseBuildFile(JSON.stringify({ espruino: { display } }), "c.json");
    expect(() => parse({ type: "oled9000" })).toThrow(/espruino.display.type: expected "ssd1306" or "st7789" or "bangle2" or "pixl" or "console"/);
    expect(() => parse({ type: "st7789", height: 240, sck: "A5", mosi: "A7", cs: "B1" })).toThrow(/espruino.display.dc: missing/);
    expect(() => parse({ type: "st7789", height: 320, sck: "A5", mosi: "A7", cs: "B1", dc: "B0" })).toThrow(/height: expected 240 or 135/);
    expect(() => parse({ type: "bangle2", sda: "D4" })).toThrow(/espruino.display.sda: unknown key/);
    expect(() => parseBuildFile(JSON.stringify({ lua: { display: { type: "ssd1306", sda: 21 } } }), "c.json")).toThrow(/lua.display.scl: missing/);
    expect(resolveBuild(parse({ type: "ssd1306", sda: "D4", scl: "D5", addr: 61 })).espruino.display).toEqual({ type: "ssd1306", sda: "D4", scl: "D5", addr: 61 });
    expect(resolveBuild(parseBuildFile(JSON.stringify({ lua: { display: null } }), "c.json")).lua.display).toBeUndefined();
  });

  it("the printed block names every setting and each target's merged options", () => {
    const text = describeBuild(resolveBuild({ lang: "en", espruino: { reader: null } }));
    expect(text.split("\n")).toEqual([
      "config: lang en, clearAfterMs 10000, cardPollMs 500, cardAuthMs 500, minKeysetVersion 0, auditNik hmac, espruinoCortexM false, luaLfs false, 0 root(s)",
      '  espruino: {scanEngine:{port:"Serial1",baud:115200},ledGreen:"LED2",ledRed:"LED1"}',
      "  lua: {scanEngine:{id:1,baud:115200},reader:{id:2,baud:115200},display:" + LUA_DISPLAY_TEXT + "}",
    ]);
  });
});

/** The Lua reference unit's display: an SSD1306 on the ESP32's I2C 0. */
const LUA_DISPLAY = { type: "ssd1306", i2c: 0, sda: 21, scl: 22, addr: 0x3c };
const LUA_DISPLAY_TEXT = '{type:"ssd1306",i2c:0,sda:21,scl:22,addr:60}';

it("npm run build prints the effective config and the images carry the merged options", () => {
  const dir = mkdtempSync(join(tmpdir(), "pindai-build-config-"));
  const cfg = join(dir, "build.json");
  const version = `merge-test-${process.pid}-${Date.now()}`; // finds this build's generated entries, if any were left
  writeFileSync(cfg, JSON.stringify({ version, espruino: { scanEngine: { port: "Serial1", baud: 4800 } }, lua: { reader: null } }));
  const r = spawnSync(join(process.cwd(), "node_modules/.bin/tsx"), ["host/build/build.ts", "--config", cfg, "--out", join(dir, "dist")], { encoding: "utf8", timeout: 170_000, killSignal: "SIGKILL" });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('  espruino: {scanEngine:{port:"Serial1",baud:4800},reader:{port:"Serial2",baud:115200},ledGreen:"LED2",ledRed:"LED1"}');
  expect(r.stdout).toContain("  lua: {scanEngine:{id:1,baud:115200},display:" + LUA_DISPLAY_TEXT + "}");
  expect(r.stdout).toContain("warning: no display in the espruino block"); // the guard would see only the LEDs
  // The options are compiled into each image's entry: the reader stayed on Espruino, left Lua.
  const esp = readFileSync(join(dir, "dist/espruino/pindai.js"), "utf8");
  // (The reader's key by its short name: host/build/espruino-properties.js shortens the firmware's own long names.)
  expect(esp).toMatch(/[$\w]+:\s*\{\s*port:\s*"Serial2",\s*baud:\s*115200/);
  expect(esp).toMatch(/baud:\s*4800/);
  const lua = readFileSync(join(dir, "dist/lua/pindai.lua"), "utf8");
  expect(lua).toMatch(/scanEngine = \{id = 1, baud = 115200\}/);
  expect(lua).not.toMatch(/reader = \{id = 2/);
  // Its generated entries (scratch inside the repository, for typescript-to-lua) are gone.
  const gen = join(process.cwd(), "dist/gen");
  const ours = (d: string) => {
    try {
      return readdirSync(join(gen, d)).some((f) => readFileSync(join(gen, d, f), "utf8").includes(JSON.stringify(version)));
    } catch {
      return false; // another build's folder, removed while we looked
    }
  };
  const left = existsSync(gen) ? readdirSync(gen).filter(ours) : [];
  expect(left).toEqual([]);
}, 180_000);

it("an interrupted build leaves the previous images whole: no half-written file, no scratch left", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pindai-build-interrupt-"));
  const dist = join(dir, "dist");
  const images = { espruino: join(dist, "espruino/pindai.js"), lua: join(dist, "lua/pindai.lua") };
  mkdirSync(join(dist, "espruino"), { recursive: true });
  mkdirSync(join(dist, "lua"), { recursive: true });
  writeFileSync(images.espruino, "// the previous Espruino image\n");
  writeFileSync(images.lua, "-- the previous Lua image\n");
  const scratch = () => ["espruino", "lua"].flatMap((t) => readdirSync(join(dist, t)).filter((f) => f.endsWith(".partial")));
  // node itself (not the tsx wrapper), so the Ctrl-C reaches the build.
  const p = spawn(process.execPath, ["--import", "tsx", "host/build/build.ts", "--out", dist], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  p.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((done) => p.on("exit", (code) => done(code)));
  // Ctrl-C while an image is being written: its scratch file is there.
  const deadline = Date.now() + 170_000;
  while (scratch().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(scratch().length, "the build never started writing an image").toBeGreaterThan(0);
  p.kill("SIGINT");
  expect(await exited, err).toBe(130);
  expect(readFileSync(images.espruino, "utf8")).toBe("// the previous Espruino image\n");
  expect(readFileSync(images.lua, "utf8")).toBe("-- the previous Lua image\n");
  expect(scratch()).toEqual([]);
}, 180_000);
