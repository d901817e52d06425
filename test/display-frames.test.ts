// The guard's screens on every panel, in both languages, as each runtime
// draws them (issue 20): the layout in the simulator for every kind of
// screen; the Espruino drivers on a real Espruino for Linux (ESPRUINO), with
// the panel's bus or `g` stood in for and every frame read back as it
// leaves the driver; the image built with each Espruino display config,
// booting to its first frame; the Lua image's SSD1306 driver on real Lua
// through the u8g2 stand-in. Frames are written as PNG to a scratch folder.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { checkingScreen, idleScreen, storageFaultScreen, verdictScreen } from "../firmware/app/screens";
import { type Op, PanelDisplay, cellMetrics, layout, wrapText } from "../firmware/app/layout";
import type { Canvas, Ink } from "../firmware/hal/display";
import { strings, type Lang } from "../firmware/app/i18n";
import { VERDICTS, type Warning } from "../firmware/core/verdict";
import type { Screen } from "../firmware/hal/display";
import { PANEL_NAMES, PANELS, panelMetrics, renderPanelPng } from "../sim/screen";
import { demoScreens, LONG_NAME } from "../sim/demo-screens";
import { build } from "../host/build/build";
import { ESPRUINO_PANELS, espruinoFrames, espruinoImageFrames, framePng, frameProblems, luaFrames } from "../host/build/screens";
import { haveTool } from "./support/tools";
import { runCli } from "./support/cli";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const LANGS: Lang[] = ["id", "en"];
const OUT = mkdtempSync(join(tmpdir(), "pindai-frames-"));
const DEVICE = { keysetVersion: 3, keysetAgeDays: 12, id: "00112233a1b2c3d4" };

/** Every kind of screen the app makes, with the hard cases: a long name, a name of one 60-letter word, every warning. */
function everyScreen(lang: Lang): Screen[] {
  const ok = (name: string, warnings: Warning[], sub?: string) =>
    verdictScreen(lang, { verdict: "OK", warnings, display: { name, dob: "1990-12-05", nikMasked: "************0001", sex: "P", issuer: "Dinas Kependudukan Kabupaten Bandung Barat" }, sub }, sub !== undefined, 4321, 7, 10);
  return [
    idleScreen(lang, [], 1_800_000_000, 420, "WIB", DEVICE),
    idleScreen(lang, ["KEYSET_STALE"], 1_800_000_000, 420, "WIB", DEVICE),
    idleScreen(lang, ["NO_KEYSET", "CLOCK_NOT_TRUSTED"], 1_000, 420, "WIB", { ...DEVICE, keysetVersion: 0 }),
    checkingScreen(lang),
    storageFaultScreen(lang, "15-01-2027 15:00 WIB", DEVICE), // the flash failed: idle
    storageFaultScreen(lang, undefined), // at boot, before the clock or the device id could be read
    ...VERDICTS.filter((v) => v !== "OK").flatMap((v) => [false, true].map((card) => verdictScreen(lang, { verdict: v, warnings: ["CLOCK_NOT_TRUSTED"] }, card, 12, 3, 10))),
    ok("Siti Aminah", []),
    ok(LONG_NAME, ["ALREADY_USED"], "KTP-0001"),
    ok("X".repeat(60), ["KEYSET_STALE", "ALREADY_USED"]), // the warnings an OK can carry (never without keys or a trusted clock)
  ];
}

/** The words of a text row that came from `source`: whole words, or the pieces of one word too long for a row. */
function cutOnlyAtWords(row: string, source: string): boolean {
  const words = source.split(" ").filter(Boolean);
  const parts = row.replace(/\.\.\.$/, "").split(" ").filter(Boolean);
  return parts.every((p) => words.includes(p) || words.some((w) => w.length > 12 && w.includes(p)));
}

describe("the layout in the simulator: every screen, both languages, every panel", () => {
  it("a panel draws each screen op by op as layout lists them, then shows it once (no list kept: Espruino's variables)", () => {
    for (const panel of PANEL_NAMES) {
      const m = panelMetrics(panel);
      const drawn: Array<Op | "flush"> = [];
      const canvas: Canvas = {
        ...m,
        rect: (x: number, y: number, w: number, h: number, ink: Ink) => drawn.push({ x, y, w, h, ink, font: -1, text: "" }),
        text: (x: number, y: number, font: number, text: string, ink: Ink) => drawn.push({ x, y, w: m.textWidth(font, text), h: m.fontHeight(font), ink, font, text }),
        flush: () => drawn.push("flush"),
      };
      for (const lang of LANGS) {
        for (const s of everyScreen(lang)) {
          drawn.length = 0;
          new PanelDisplay(canvas).show(s);
          expect(drawn).toEqual([...layout(s, m), "flush"]);
        }
      }
    }
  });

  it("every op lies inside the panel; the verdict, the name, DD-MM-YYYY, the NIK's last 4, the issuer and the number are drawn", () => {
    for (const panel of PANEL_NAMES) {
      const m = panelMetrics(panel);
      for (const lang of LANGS) {
        for (const s of everyScreen(lang)) {
          const ops = layout(s, m);
          const where = `${panel} ${lang} ${s.title} ${s.lines[0] ?? ""}`;
          for (const o of ops) {
            expect(o.x >= 0 && o.y >= 0 && o.x + o.w <= m.width && o.y + o.h <= m.height, `${where}: ${JSON.stringify(o)}`).toBe(true);
          }
          const texts = ops.filter((o) => o.font >= 0).map((o) => o.text);
          expect(texts, where).toContain(s.title);
          if (s.corner) expect(texts, where).toContain(s.corner);
          if (s.kind === "ok") {
            const all = texts.join(" ");
            expect(all, where).toContain("05-12-1990");
            expect(all, where).toContain("**0001");
            expect(all, where).toMatch(/Dinas/);
            expect(all, where).toContain(s.name!.slice(0, 5));
            // The name is never cut inside a word: each of its rows is whole words (or pieces of a word wider than a row).
            for (const t of texts) if (s.name!.startsWith(t.split(" ")[0])) expect(cutOnlyAtWords(t, s.name!), `${where}: "${t}"`).toBe(true);
          }
          // A countdown bar while a verdict stays up: a filled rectangle low on the screen, its length the seconds left.
          if (s.left !== undefined) {
            const bars = ops.filter((o) => o.font < 0 && o.y > m.height / 2 && o.x > 0 && o.w < m.width && o.h >= 2);
            expect(bars.length, where).toBeGreaterThan(0);
          }
        }
      }
    }
  });

  it("the device's faults are amber NOT READY with a '!' and never the holder's red; a refusal is red with a cross; OK green with a tick", () => {
    const m = panelMetrics("st7789-240");
    const en = (v: (typeof VERDICTS)[number]) => verdictScreen("en", { verdict: v, warnings: [] }, false, 1, 5, 10);
    const band = (s: Screen) => layout(s, m)[1].ink; // [0] the background, [1] the band
    expect([en("NO_KEYSET").title, band(en("NO_KEYSET"))]).toEqual(["NOT READY", "amber"]);
    expect([en("CLOCK_NOT_SET").title, band(en("CLOCK_NOT_SET"))]).toEqual(["NOT READY", "amber"]);
    expect([en("BAD_SIGNATURE").title, band(en("BAD_SIGNATURE"))]).toEqual(["REJECTED", "red"]);
    expect(band(idleScreen("en", ["NO_KEYSET"], 0, 0, "UTC", DEVICE))).toBe("amber");
    expect(idleScreen("en", ["CLOCK_NOT_TRUSTED"], 0, 0, "UTC", DEVICE).title).toBe("NOT READY");
    expect(idleScreen("id", [], 0, 0, "UTC", DEVICE).title).toBe("SIAP");
    // A storage error: the same amber NOT READY, with what failed in the guard's words.
    for (const lang of LANGS) {
      const s = storageFaultScreen(lang, "15-01-2027 15:00 WIB", DEVICE);
      expect([s.title, band(s), s.facts]).toEqual([strings(lang).notReady, "amber", [strings(lang).callAdmin, strings(lang).storageError, "15-01-2027 15:00 WIB"]]);
      const texts = layout(s, panelMetrics("ssd1306")).map((o) => o.text).join(" ");
      expect(texts).toContain(strings(lang).storageError);
    }
    // The icons differ in shape, so a monochrome panel tells them apart too.
    const iconRects = (s: Screen) => JSON.stringify(layout(s, panelMetrics("ssd1306")).filter((o) => o.font < 0 && o.y < 18 && o.w < 20).map((o) => [o.x, o.y, o.w, o.h]));
    const shapes = new Set([iconRects(en("NO_KEYSET")), iconRects(en("BAD_SIGNATURE")), iconRects(verdictScreen("en", { verdict: "OK", warnings: [], display: { name: "A", dob: "1990-12-05", nikMasked: "1234", sex: "P", issuer: "I" } }, false))]);
    expect(shapes.size).toBe(3);
  });

  it("wraps by the font's own widths and ends a cut text with '...' after a whole word", () => {
    const narrow = cellMetrics(60, 64, false, 6, 8, 1); // 10 characters a row
    expect(wrapText(narrow, 0, "Raden Ajeng Siti Nurhaliza", 60, 9)).toEqual(["Raden", "Ajeng Siti", "Nurhaliza"]);
    expect(wrapText(narrow, 0, "Raden Ajeng Siti Nurhaliza", 60, 2)).toEqual(["Raden", "Ajeng..."]);
    expect(wrapText(narrow, 0, "ABCDEFGHIJKLMNOPQRSTUVWXY", 60, 9)).toEqual(["ABCDEFGHIJ", "KLMNOPQRST", "UVWXY"]);
    // A proportional font: the rows follow its widths, not a count of characters.
    const wide = { ...narrow, textWidth: (_f: number, t: string) => [...t].reduce((w, c) => w + (c === "W" ? 12 : 4), 0) };
    expect(wrapText(wide, 0, "WWW iii WWW", 60, 9)).toEqual(["WWW iii", "WWW"]);
  });

  it("the simulator's PNGs: each panel's size, nothing drawn on the edge rows (id and en)", async () => {
    for (const panel of PANEL_NAMES) {
      for (const lang of LANGS) {
        const screens = everyScreen(lang);
        for (const s of [screens[0], screens[screens.length - 2]]) {
          const png = PNG.sync.read(await renderPanelPng(s, panel, 1));
          expect([png.width, png.height]).toEqual([PANELS[panel].width, PANELS[panel].height]);
          mkdirSync(join(OUT, "sim"), { recursive: true });
          writeFileSync(join(OUT, "sim", `${panel}-${lang}-${s.kind}.png`), PNG.sync.write(png));
        }
      }
    }
  });
});

describe("the simulator draws the same layouts: pindai sim --display, npm start -- --display", () => {
  it("pindai sim --display NAME: the png command draws that panel's layout; an unknown panel is a usage error", async () => {
    for (const panel of ["ssd1306", "st7789-135"] as const) {
      const script = join(OUT, `${panel}.sim`);
      const png = join(OUT, `${panel}-sim.png`);
      writeFileSync(script, `phone\nexpect OK\npng ${png}\n`);
      const r = await runCli("sim", "--display", panel, "--script", script);
      expect(r.code, r.err + r.out).toBe(0);
      const img = PNG.sync.read(readFileSync(png));
      expect([img.width, img.height]).toEqual([PANELS[panel].width * 2, PANELS[panel].height * 2]);
    }
    const bad = await runCli("sim", "--display", "oled9000");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--display: ssd1306, st7789-240, st7789-135, bangle2, pixl/);
  }, 60_000);

  it("npm start -- --display pixl: every step's screen at the panel's size", () => {
    const out = join(OUT, "demo-pixl");
    const r = spawnSync(process.execPath, ["--import", "tsx", "sim/demo.ts", "--display", "pixl", "--lang", "en"], { env: { ...process.env, PINDAI_DEMO_OUT: out }, encoding: "utf8", timeout: 120_000 });
    expect(r.stdout, r.stderr).toContain("Demo complete.");
    const steps = readdirSync(out).filter((f) => f.startsWith("step-"));
    expect(steps.length).toBeGreaterThan(8);
    for (const f of steps) expect([PNG.sync.read(readFileSync(join(out, f))).width, PNG.sync.read(readFileSync(join(out, f))).height]).toEqual([256, 128]);
  }, 120_000);
});

const ESPRUINO = process.env.ESPRUINO;
if (!ESPRUINO) console.warn("\n*** SKIPPED: ESPRUINO is not set: the Espruino display drivers were not run on a real Espruino ***\n");

describe.skipIf(!ESPRUINO)("the Espruino display drivers on a real Espruino (ESPRUINO)", () => {
  const variables: Record<string, number> = {};
  for (const panel of ESPRUINO_PANELS) {
    it(`${panel}: every screen in both languages drawn into the driver's Graphics; every element drawn, nothing outside the panel`, async () => {
      for (const lang of LANGS) {
        const screens = [...everyScreen(lang), ...(await demoScreens(lang)).map((d) => d.screen)];
        const r = await espruinoFrames(ESPRUINO!, panel, screens);
        variables[panel] = r.variables;
        r.frames.forEach((f, i) => {
          expect(frameProblems(f, screens[i]), `${panel} ${lang} #${i} ${screens[i].title}`).toEqual([]);
          mkdirSync(join(OUT, panel), { recursive: true });
          writeFileSync(join(OUT, panel, `${lang}-${String(i).padStart(2, "0")}.png`), framePng(f));
        });
        // The pixels match the layout: the verdict's band is lit (white on monochrome, its colour on a colour panel).
        const f = r.frames[0];
        const band = f.ops[1] as Op;
        const at = (x: number, y: number) => Array.from(f.rgba.slice(4 * (y * f.width + x), 4 * (y * f.width + x) + 3)).join(",");
        expect(at(f.width - 1, band.y + 1)).not.toBe("0,0,0");
        if (!PANELS[panel].colour) expect(at(f.width - 1, band.y + band.h + 2)).toBe("0,0,0");
      }
      console.log(`${panel}: ${variables[panel]} variables held by the driver after its first frame (frame buffer and objects, not its code); PNGs in ${OUT}/${panel}`);
    }, 600_000);
  }

  it("the image built with each display config boots and draws its NOT READY screen; the variables each driver adds to the image", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pindai-frames-img-"));
    const configs: Record<string, object | null> = {
      none: null,
      ssd1306: { type: "ssd1306", sda: "D4", scl: "D5" },
      "st7789-240": { type: "st7789", height: 240, sck: "D6", mosi: "D7", cs: "D8", dc: "D9" },
      "st7789-135": { type: "st7789", height: 135, sck: "D6", mosi: "D7", cs: "D8", dc: "D9" },
      bangle2: { type: "bangle2" },
      pixl: { type: "pixl" },
    };
    const used: Record<string, number> = {};
    for (const [panel, display] of Object.entries(configs)) {
      // No tables (espruino.tables false): whether a table step had run by the count depended on the
      // free variables at the boot's check, so on which driver was there, and a step is about 750.
      const img = await build({ version: "frames", espruino: { scanEngine: null, reader: null, display: display as never, tables: false } }, join(dir, panel), () => {}, ["espruino"]);
      const r = await espruinoImageFrames(ESPRUINO!, panel as never, img.espruino, 3000);
      expect(r.tables, panel).toBe(false);
      used[panel] = r.variables;
      if (panel === "none") continue;
      expect(r.frames.length, panel).toBeGreaterThan(0);
      const p = PANELS[panel as keyof typeof PANELS];
      writeFileSync(join(dir, `${panel}-boot.png`), framePng({ width: p.width, height: p.height, rgba: r.frames[0] }));
      // A frame with something on it: more than one colour.
      const colours = new Set<string>();
      for (let k = 0; k < r.frames[0].length; k += 4) colours.add(Array.from(r.frames[0].slice(k, k + 3)).join(","));
      expect(colours.size, panel).toBeGreaterThan(1);
    }
    const cost = Object.fromEntries(Object.entries(used).filter(([k]) => k !== "none").map(([k, v]) => [k, v - used.none]));
    console.log(`variables in use after boot (image run from a file, code in RAM): ${JSON.stringify(used)}; each display over none: ${JSON.stringify(cost)}; boot frames in ${dir}`);
    for (const v of Object.values(cost)) expect(v).toBeGreaterThan(0);
  }, 1_200_000);
});

const LUA = haveTool("lua5.4") ? "lua5.4" : haveTool("lua5.3") ? "lua5.3" : undefined;
if (!LUA) console.warn("\n*** SKIPPED: no lua5.4 or lua5.3: the Lua display driver was not run ***\n");

describe.skipIf(!LUA)("the Lua image's SSD1306 driver on real Lua (u8g2 stand-in)", () => {
  it("every screen in both languages: every element drawn with u8g2's widths, nothing outside the 128x64 panel", async () => {
    for (const lang of LANGS) {
      const screens = [...everyScreen(lang), ...(await demoScreens(lang)).map((d) => d.screen)];
      const frames = await luaFrames(LUA!, screens);
      expect(frames).toHaveLength(screens.length);
      frames.forEach((f, i) => expect(frameProblems(f, screens[i], false), `${lang} #${i} ${screens[i].title}`).toEqual([]));
      // The title is in the large font (7x14B), the body in 6x10.
      expect(frames[0].ops.find((o) => o.text === screens[0].title)?.font).toBe(1);
    }
  }, 120_000);
});

beforeAll(() => {
  mkdirSync(OUT, { recursive: true });
});
