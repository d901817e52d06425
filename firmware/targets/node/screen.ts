// The device screen in the simulator: ANSI colours in the terminal and a PNG
// picture (240x160, like a cheap 2.4" handheld display) drawn with pureimage,
// and the DejaVu fonts; both wrap words to their width (sim/wrap.ts).
import { createRequire } from "node:module";
import { PassThrough } from "node:stream";
import * as PImage from "pureimage";
import type { Display, Ink, PanelMetrics, Screen } from "../../hal/display";
import { type Op, cellMetrics, layout } from "../../app/layout";
import type { Indicator, Signal } from "../../hal/indicator";
import { wrapWords } from "./wrap";

const COLORS: Record<Screen["color"], { bg: string; ansi: string }> = {
  green: { bg: "#1b8a3a", ansi: "\x1b[42;97m" },
  red: { bg: "#c0262d", ansi: "\x1b[41;97m" },
  amber: { bg: "#b7791f", ansi: "\x1b[43;30m" },
  neutral: { bg: "#2d3748", ansi: "\x1b[100;97m" },
};

/** The terminal box: 40 columns inside the frame, one space of margin on each side. */
export const WIDTH = 40;

/** The first n characters of t, never half of a surrogate pair. */
const cut = (t: string, n: number) => Array.from(t).slice(0, n).join("");

export function renderText(s: Screen, color = true): string {
  const fitsRow = (t: string) => t.length <= WIDTH - 2;
  const pad = (t: string) => (" " + t).padEnd(WIDTH);
  const on = color ? COLORS[s.color].ansi : "";
  const warn = color ? "\x1b[43;30m" : "";
  const off = color ? "\x1b[0m" : "";
  const rows = ["+" + "-".repeat(WIDTH) + "+"];
  const row = (style: string, t: string) => rows.push("|" + style + pad(t) + off + "|");
  for (const t of [s.title, ...s.lines]) for (const piece of wrapWords(t, fitsRow)) row(on, piece);
  for (const w of s.warnings) {
    // "! " before the first row, two spaces before the rows it wraps onto.
    wrapWords(w, (t) => fitsRow("! " + t)).forEach((piece, i) => row(warn, (i === 0 ? "! " : "  ") + piece));
  }
  rows.push("+" + "-".repeat(WIDTH) + "+");
  return rows.join("\n");
}

let fontsLoaded = false;
function loadFonts(): void {
  if (fontsLoaded) return;
  const require = createRequire(import.meta.url);
  const dir = require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf").replace(/DejaVuSans\.ttf$/, "");
  PImage.registerFont(dir + "DejaVuSans-Bold.ttf", "PindaiBold").loadSync();
  PImage.registerFont(dir + "DejaVuSans.ttf", "PindaiRegular").loadSync();
  fontsLoaded = true;
}

/** The PNG display: 240x160 pixels, 10 pixels of margin left and right. */
export const PNG_WIDTH = 240;
export const PNG_HEIGHT = 160;
const MARGIN = 10;
/** Body font sizes tried in turn until the whole screen fits the height. */
const BODY_SIZES = [13, 12, 11, 10];
export const WARNING_BAND = "#ffd24d";

/** One piece of text as drawn: baseline at y, and the band behind it for warnings. */
export interface Placed {
  text: string;
  x: number;
  y: number;
  font: string;
  band?: { y: number; height: number };
}

/**
 * Where each piece of text of a screen goes: every text wrapped at word
 * boundaries to the display width; the body font shrinks until everything
 * fits the height. On the smallest size, body lines that still do not fit
 * are cut (the last kept one ends with "..."), never the warnings.
 */
export function layoutPng(s: Screen): Placed[] {
  loadFonts();
  const ctx = PImage.make(1, 1).getContext("2d");
  const widthOf = (font: string, t: string) => {
    ctx.font = font;
    return ctx.measureText(t).width;
  };
  const room = PNG_WIDTH - 2 * MARGIN;
  const titleFont = "26px PindaiBold";
  const title = wrapWords(s.title, (t) => widthOf(titleFont, t) <= room);
  for (let k = 0; k < BODY_SIZES.length; k++) {
    const size = BODY_SIZES[k];
    const font = `${size}px PindaiRegular`;
    const step = size + 4;
    const descent = Math.ceil(size * 0.3); // of g, p, y
    let body: string[] = [];
    for (const l of s.lines) body.push(...wrapWords(l, (t) => widthOf(font, t) <= room));
    const bang = widthOf(font, "! ");
    const warnings: string[][] = s.warnings.map((w) => wrapWords(w, (t) => widthOf(font, t) <= room - bang));
    const warningRows = warnings.reduce((n, w) => n + w.length, 0);
    const titleBottom = 34 + 28 * (title.length - 1);
    // The first body baseline is 26 pixels under the title's (60 after a one-line title).
    const bodyRoom = Math.floor((PNG_HEIGHT - descent - (titleBottom + 26 - step) - warningRows * (step + 1)) / step);
    if (body.length > bodyRoom) {
      if (k < BODY_SIZES.length - 1) continue;
      body = body.slice(0, Math.max(0, bodyRoom));
      if (body.length > 0) {
        let t = body[body.length - 1];
        while (t.length > 0 && widthOf(font, t + "...") > room) t = t.slice(0, -1);
        body[body.length - 1] = t + "...";
      }
    }
    const placed: Placed[] = [];
    let y = 34 - 28;
    for (const t of title) placed.push({ text: t, x: MARGIN, y: (y += 28), font: titleFont });
    y += 26 - step;
    for (const t of body) placed.push({ text: t, x: MARGIN, y: (y += step), font });
    for (const w of warnings) {
      w.forEach((t, i) => {
        y += step + 1;
        placed.push({ text: (i === 0 ? "! " : "") + t, x: MARGIN + (i === 0 ? 0 : bang), y, font, band: { y: y - size, height: step + 1 } });
      });
    }
    return placed;
  }
  throw new Error("unreachable: the last size always returns");
}

export async function renderPng(s: Screen): Promise<Buffer> {
  const img = PImage.make(PNG_WIDTH, PNG_HEIGHT);
  const ctx = img.getContext("2d");
  ctx.fillStyle = COLORS[s.color].bg;
  ctx.fillRect(0, 0, PNG_WIDTH, PNG_HEIGHT);
  for (const p of layoutPng(s)) {
    if (p.band) {
      ctx.fillStyle = WARNING_BAND;
      ctx.fillRect(0, p.band.y, PNG_WIDTH, p.band.height);
    }
    ctx.fillStyle = p.band ? "#1a1a1a" : "#ffffff";
    ctx.font = p.font;
    ctx.fillText(p.text, p.x, p.y);
  }
  return encode(img);
}

/**
 * The panels a device can have, by the name the build config and
 * `pindai sim --display` use: size, colour, and the fonts the Espruino
 * drivers draw with (Espruino's 6x8 font at scales 1..n), so the simulator
 * lays a screen out exactly as the device does.
 */
export const PANELS = {
  ssd1306: { width: 128, height: 64, colour: false, scales: 2 },
  pixl: { width: 128, height: 64, colour: false, scales: 2 },
  bangle2: { width: 176, height: 176, colour: true, scales: 4 },
  "st7789-240": { width: 240, height: 240, colour: true, scales: 6 },
  "st7789-135": { width: 240, height: 135, colour: true, scales: 4 },
} as const;
export type PanelName = keyof typeof PANELS;
export const PANEL_NAMES = Object.keys(PANELS) as PanelName[];

export function panelMetrics(name: PanelName): PanelMetrics {
  const p = PANELS[name];
  return cellMetrics(p.width, p.height, p.colour, 6, 8, p.scales);
}

/** Inks on a colour panel, and the one "on" colour of a monochrome OLED. */
export const INKS: Record<Ink, string> = {
  black: "#000000",
  white: "#ffffff",
  green: "#1b8a3a",
  red: "#c0262d",
  amber: "#f0a020",
  grey: "#2d3748",
  yellow: "#ffd24d",
};
const MONO_ON = "#e8f0ff";

let monoLoaded = false;
function loadMono(): void {
  if (monoLoaded) return;
  const require = createRequire(import.meta.url);
  PImage.registerFont(require.resolve("dejavu-fonts-ttf/ttf/DejaVuSansMono-Bold.ttf"), "PindaiMono").loadSync();
  monoLoaded = true;
}

/**
 * A frame (app/layout.ts ops) as a PNG of the panel, enlarged `zoom` times.
 * Text is drawn one character per cell of its op's box (the width the
 * panel's font measured, shared by its characters; the box's height), so
 * what fit on the device fits here, whatever its fonts.
 */
export async function renderFramePng(ops: Op[], panel: { width: number; height: number; colour: boolean }, zoom = 2): Promise<Buffer> {
  loadMono();
  const img = PImage.make(panel.width * zoom, panel.height * zoom);
  const ctx = img.getContext("2d");
  const ink = (i: Ink) => (panel.colour ? INKS[i] : i === "black" ? "#000000" : MONO_ON);
  for (const o of ops) {
    ctx.fillStyle = ink(o.ink);
    if (o.font < 0) {
      ctx.fillRect(o.x * zoom, o.y * zoom, o.w * zoom, o.h * zoom);
      continue;
    }
    const chars = Array.from(o.text);
    const cw = o.w / Math.max(1, chars.length);
    ctx.font = `${Math.round(Math.min(o.h * 1.05, cw * 1.75) * zoom)}px PindaiMono`;
    chars.forEach((ch, k) => ctx.fillText(ch, (o.x + k * cw) * zoom, (o.y + o.h * 0.8) * zoom));
  }
  return encode(img);
}

async function encode(img: ReturnType<typeof PImage.make>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on("data", (c: Buffer) => chunks.push(c));
  await PImage.encodePNGToStream(img, sink);
  return Buffer.concat(chunks);
}

/** Screens and LED events kept for a look back (tests, the demo): the latest ones, so a long run stays in bounded memory. */
export const HISTORY_KEPT = 64;

/** Appends `item`, dropping the oldest past HISTORY_KEPT. */
function keep<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > HISTORY_KEPT) list.splice(0, list.length - HISTORY_KEPT);
}


/** A screen laid out and drawn on a named panel, as PNG. */
export function renderPanelPng(s: Screen, name: PanelName, zoom = 2): Promise<Buffer> {
  return renderFramePng(layout(s, panelMetrics(name)), PANELS[name], zoom);
}

/** A Display that keeps the latest screens shown, and can echo it to the terminal. */
export class SimDisplay implements Display {
  readonly history: Screen[] = [];
  private echoed = "";
  /** With a panel: its metrics, on which the app's SCREEN lays the last screen out. */
  readonly canvas: PanelMetrics | undefined;
  constructor(
    private echo?: (text: string) => void,
    readonly panel?: PanelName,
  ) {
    this.canvas = panel === undefined ? undefined : panelMetrics(panel);
  }
  /** Print every screen from now on (e.g. when a scan engine drives the device). */
  echoTo(echo: (text: string) => void): void {
    this.echo = echo;
  }
  show(s: Screen): void {
    keep(this.history, s);
    // The countdown redraws the same screen each second: the terminal shows it once.
    const t = renderText(s);
    if (t !== this.echoed) this.echo?.(t);
    this.echoed = t;
  }
  get current(): Screen | undefined {
    return this.history[this.history.length - 1];
  }
}

/** LED and buzzer, as events (the latest HISTORY_KEPT). */
export class SimIndicator implements Indicator {
  readonly events: Signal[] = [];
  signal(s: Signal): void {
    keep(this.events, s);
  }
}

export const SIGNAL_TEXT: Record<Signal, string> = {
  ok: "LED green, one short beep",
  fail: "LED red, one long beep",
  warn: "LED amber, two beeps",
  off: "LED off",
};
