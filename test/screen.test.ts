// The simulator's displays: every screen the app can show, in both
// languages, wraps at word boundaries and no text leaves the display
// (the 40-column terminal box and the 240x160 PNG).
import { describe, expect, it } from "vitest";
import { PNG } from "pngjs";
import { layoutPng, renderPng, renderText, PNG_HEIGHT, PNG_WIDTH, WARNING_BAND, WIDTH } from "../sim/screen";
import { wrapWords } from "../sim/wrap";
import { checkingScreen, idleScreen, verdictScreen } from "../firmware/app/screens";
import { strings, type Lang } from "../firmware/app/i18n";
import { VERDICTS, type Warning } from "../firmware/core/verdict";
import type { Screen } from "../firmware/hal/display";
import * as PImage from "pureimage";

const LANGS: Lang[] = ["id", "en"];
const LONG_NAME = "Raden Ajeng Siti Nurhaliza Kartikasari Wulandari Puspitasari binti Haji Abdul Rahman Hakim Sutomo";
const ONE_WORD = "X".repeat(100); // a name of 100 characters without a space

function everyScreen(lang: Lang): Screen[] {
  const all = Object.keys(strings(lang).warnings) as Warning[];
  const ok = (name: string, iss: string, sub?: string) =>
    verdictScreen(lang, {
      verdict: "OK",
      warnings: all,
      display: { name, dob: "1990-12-05", nikMasked: "320101******0001", sex: "P", issuer: iss },
      sub,
    }, sub !== undefined);
  return [
    idleScreen(lang, [], 1_800_000_000, 420, "WIB"),
    idleScreen(lang, all, 1_800_000_000, 420, "WIB"),
    checkingScreen(lang),
    ...VERDICTS.flatMap((v) => [false, true].map((card) => verdictScreen(lang, { verdict: v, warnings: all }, card))),
    ok("Siti Aminah", "pindai demo issuer"),
    ok(LONG_NAME, "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Bandung Barat", "KTP-0001-" + "9".repeat(55)),
    ok(ONE_WORD, ONE_WORD),
  ];
}

describe("screens", () => {
  it("wrapWords breaks at spaces, splits only a word too long for a line, and loses nothing", () => {
    const fits = (s: string) => s.length <= 10;
    expect(wrapWords("Arahkan ke kode QR", fits)).toEqual(["Arahkan ke", "kode QR"]);
    expect(wrapWords("abcdefghijklmnopqrstuvwxyz", fits)).toEqual(["abcdefghij", "klmnopqrst", "uvwxyz"]);
    expect(wrapWords("", fits)).toEqual([""]);
    expect(wrapWords("a  b", fits)).toEqual(["a b"]);
  });

  it("the terminal box: every row 40 columns, every word of every screen shown whole (id and en)", () => {
    for (const lang of LANGS) {
      for (const s of everyScreen(lang)) {
        const rows = renderText(s, false).split("\n");
        for (const r of rows) expect(r.length, r).toBe(WIDTH + 2);
        const shown = rows.slice(1, -1).map((r) => r.slice(1, -1)).join(" ").replace(/!/g, " ").split(/ +/).filter(Boolean).join(" ");
        const text = [s.title, ...s.lines, ...s.warnings].join(" ").replace(/!/g, " ").split(/ +/).filter(Boolean);
        // Words longer than a row come back split: compare without spaces.
        expect(shown.replace(/ /g, "")).toBe(text.join(""));
      }
    }
  });

  it("the PNG: every piece of text of every screen lies inside 240x160, warnings always shown (id and en)", () => {
    const ctx = PImage.make(1, 1).getContext("2d");
    for (const lang of LANGS) {
      for (const s of everyScreen(lang)) {
        const placed = layoutPng(s);
        for (const p of placed) {
          ctx.font = p.font;
          const size = Number(/^(\d+)px/.exec(p.font)![1]);
          expect(p.x + ctx.measureText(p.text).width, `${lang} "${p.text}"`).toBeLessThanOrEqual(PNG_WIDTH - 10);
          expect(p.y + Math.ceil(size * 0.3), `${lang} "${p.text}"`).toBeLessThanOrEqual(PNG_HEIGHT);
        }
        // Every warning's first words are on the screen, whatever was cut from the body.
        for (const w of s.warnings) expect(placed.some((p) => p.text.startsWith("! " + w.split(" ")[0]))).toBe(true);
      }
    }
  });

  it("the PNG pixels: nothing but background in the right margin and under the last line (the texts that were cut before)", async () => {
    const bg = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(",");
    const cases: Screen[] = [
      idleScreen("id", [], 1_800_000_000, 420, "WIB"), // "Arahkan ke kode QR atau tempelkan KTP" was cut at "tempelka"
      verdictScreen("id", { verdict: "BAD_SIGNATURE", warnings: ["ALREADY_USED"] }, false), // "...kode diuba"
      everyScreen("en")[everyScreen("en").length - 1], // a 100-character word, every warning
    ];
    for (const s of cases) {
      const png = PNG.sync.read(await renderPng(s));
      const allowed = new Set([bg({ green: "#1b8a3a", red: "#c0262d", amber: "#b7791f", neutral: "#2d3748" }[s.color]), bg(WARNING_BAND)]);
      const at = (x: number, y: number) => [0, 1, 2].map((c) => png.data[4 * (y * png.width + x) + c]).join(",");
      for (let y = 0; y < PNG_HEIGHT; y++) for (let x = PNG_WIDTH - 8; x < PNG_WIDTH; x++) expect(allowed.has(at(x, y)), `${s.lines[0]} at ${x},${y}`).toBe(true);
      for (let y = PNG_HEIGHT - 2; y < PNG_HEIGHT; y++) for (let x = 0; x < PNG_WIDTH; x++) expect(allowed.has(at(x, y)), `${s.lines[0]} at ${x},${y}`).toBe(true);
      // And text was drawn at all: the screen is not just background.
      let ink = 0;
      for (let y = 0; y < PNG_HEIGHT; y++) for (let x = 0; x < PNG_WIDTH; x++) if (!allowed.has(at(x, y))) ink++;
      expect(ink).toBeGreaterThan(500);
    }
  });
});
