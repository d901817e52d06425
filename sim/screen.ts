// The device screen in the simulator: ANSI colours in the terminal and a PNG
// picture (240x160, like a cheap 2.4" handheld display) drawn with pureimage
// and the DejaVu fonts.
import { createRequire } from "node:module";
import { PassThrough } from "node:stream";
import * as PImage from "pureimage";
import type { Display, Screen } from "../firmware/hal/display";
import type { Indicator, Signal } from "../firmware/hal/indicator";

const COLORS: Record<Screen["color"], { bg: string; ansi: string }> = {
  green: { bg: "#1b8a3a", ansi: "\x1b[42;97m" },
  red: { bg: "#c0262d", ansi: "\x1b[41;97m" },
  amber: { bg: "#b7791f", ansi: "\x1b[43;30m" },
  neutral: { bg: "#2d3748", ansi: "\x1b[100;97m" },
};

const WIDTH = 40;

/** The first n characters of t, never half of a surrogate pair. */
const cut = (t: string, n: number) => Array.from(t).slice(0, n).join("");

export function renderText(s: Screen, color = true): string {
  const pad = (t: string) => cut(" " + t, WIDTH).padEnd(WIDTH);
  const on = color ? COLORS[s.color].ansi : "";
  const warn = color ? "\x1b[43;30m" : "";
  const off = color ? "\x1b[0m" : "";
  const rows = ["+" + "-".repeat(WIDTH) + "+"];
  rows.push("|" + on + pad(s.title) + off + "|");
  for (const l of s.lines) rows.push("|" + on + pad(l) + off + "|");
  for (const w of s.warnings) rows.push("|" + warn + pad("! " + w) + off + "|");
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

export async function renderPng(s: Screen): Promise<Buffer> {
  loadFonts();
  const img = PImage.make(240, 160);
  const ctx = img.getContext("2d");
  ctx.fillStyle = COLORS[s.color].bg;
  ctx.fillRect(0, 0, 240, 160);
  ctx.fillStyle = "#ffffff";
  ctx.font = "26px PindaiBold";
  ctx.fillText(s.title, 10, 34);
  ctx.font = "13px PindaiRegular";
  let y = 60;
  for (const l of s.lines) {
    ctx.fillText(cut(l, 34), 10, y);
    y += 17;
  }
  for (const w of s.warnings) {
    ctx.fillStyle = "#ffd24d";
    ctx.fillRect(0, y - 13, 240, 17);
    ctx.fillStyle = "#1a1a1a";
    ctx.fillText("! " + cut(w, 32), 10, y);
    y += 18;
  }
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on("data", (c: Buffer) => chunks.push(c));
  await PImage.encodePNGToStream(img, sink);
  return Buffer.concat(chunks);
}

/** A Display that keeps every screen shown, and can echo it to the terminal. */
export class SimDisplay implements Display {
  readonly history: Screen[] = [];
  constructor(private echo?: (text: string) => void) {}
  /** Print every screen from now on (e.g. when a scan engine drives the device). */
  echoTo(echo: (text: string) => void): void {
    this.echo = echo;
  }
  show(s: Screen): void {
    this.history.push(s);
    this.echo?.(renderText(s));
  }
  get current(): Screen | undefined {
    return this.history[this.history.length - 1];
  }
}

/** LED and buzzer, as events. */
export class SimIndicator implements Indicator {
  readonly events: Signal[] = [];
  signal(s: Signal): void {
    this.events.push(s);
  }
}

export const SIGNAL_TEXT: Record<Signal, string> = {
  ok: "LED green, one short beep",
  fail: "LED red, one long beep",
  warn: "LED amber, two beeps",
  off: "LED off",
};
