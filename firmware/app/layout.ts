// Where each part of a screen goes on one panel, whatever its size (128x64
// mono OLED to 240x240 colour) and language. The layout measures text with
// the panel's own fonts (PanelMetrics), so a name wraps where the panel's
// font says it must; the driver then only fills rectangles and draws text.
//
//   +--------------------------------+
//   | [icon] TITLE                   |  band: the verdict as a big word and its
//   +--------------------------------+  colour (inverted on monochrome)
//   | Siti Aminah                    |  name, wrapped (OK)
//   | ! warning                      |  warnings, on a yellow / inverted row
//   | Born 05-12-1990                |  facts, one row each, most important first
//   | NIK **0001                     |
//   | pindai demo issuer             |
//   | [=======-------]           #12 |  countdown bar, the verdict's number
//   +--------------------------------+
//
// Nothing is drawn outside the panel: text that does not fit is cut at a
// word with "..." (never mid-word; a single word longer than the row wraps
// onto the next row), and rows that do not fit are joined into the last one.
import type { Canvas, Ink, PanelMetrics, Screen, ScreenKind } from "../hal/display";

/** One thing to draw: a filled rectangle (font < 0) or a text whose top-left is x, y. */
export interface Op {
  x: number;
  y: number;
  w: number;
  h: number;
  ink: Ink;
  font: number;
  text: string;
}

export type Icon = "tick" | "cross" | "bang" | "none";

// Icons as 7x7 bitmaps, one number per row (bit 6 = left): drawn as
// rectangles, so every driver draws them with fillRect alone.
const ICONS: Record<Icon, number[]> = {
  tick: [0x03, 0x07, 0x0e, 0x5c, 0x78, 0x30, 0x00],
  cross: [0x63, 0x77, 0x3e, 0x1c, 0x3e, 0x77, 0x63],
  bang: [0x1c, 0x1c, 0x1c, 0x1c, 0x00, 0x1c, 0x1c],
  none: [],
};

const ELLIPSIS = "...";

function kindOf(s: Screen): ScreenKind {
  if (s.kind !== undefined) return s.kind;
  if (s.color === "green") return "ok";
  if (s.color === "red") return "refused";
  if (s.color === "amber") return "fault";
  return "idle";
}

function iconOf(k: ScreenKind): Icon {
  if (k === "ok") return "tick";
  if (k === "refused") return "cross";
  if (k === "fault" || k === "retry") return "bang";
  return "none";
}

function bandInk(k: ScreenKind, s: Screen): Ink {
  if (k === "ok") return "green";
  if (k === "refused") return "red";
  if (k === "fault" || k === "retry") return "amber";
  return s.color === "amber" ? "amber" : "grey";
}

function endsInDigit(t: string): boolean {
  const c = t.charCodeAt(t.length - 1);
  return c >= 48 && c <= 57;
}

/** The words of t (split at spaces, none empty). */
function words(t: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= t.length; i++) {
    if (i === t.length || t.charCodeAt(i) === 32) {
      if (i > start) out.push(t.substring(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** The longest head of a word that fits width (at least one character; never inside a UTF-8 sequence). */
function headThatFits(m: PanelMetrics, font: number, w: string, width: number): number {
  let n = 1;
  for (let k = 2; k < w.length; k++) {
    const c = w.charCodeAt(k);
    if (c >= 0x80 && c < 0xc0) continue; // a UTF-8 continuation byte (Lua strings are bytes)
    if (m.textWidth(font, w.substring(0, k)) > width) break;
    n = k;
  }
  while (n < w.length && w.charCodeAt(n) >= 0x80 && w.charCodeAt(n) < 0xc0) n++;
  return n;
}

/**
 * t in at most maxRows rows of width: broken at spaces; a word wider than a
 * row is split over rows; when rows run out the last row ends in "..." after
 * a whole word.
 */
export function wrapText(m: PanelMetrics, font: number, t: string, width: number, maxRows: number): string[] {
  const ws = words(t);
  const rows: string[] = [];
  let row = "";
  let i = 0;
  while (i < ws.length) {
    const w = ws[i];
    const candidate = row === "" ? w : row + " " + w;
    if (m.textWidth(font, candidate) <= width) {
      row = candidate;
      i++;
      continue;
    }
    if (row !== "") {
      rows.push(row);
      row = "";
      continue;
    }
    // A word wider than the row: its head here, the rest on the next row.
    const n = headThatFits(m, font, w, width);
    rows.push(w.substring(0, n));
    ws[i] = w.substring(n);
  }
  if (row !== "") rows.push(row);
  if (rows.length <= maxRows) return rows;
  const kept: string[] = [];
  for (let r = 0; r < maxRows - 1; r++) kept.push(rows[r]);
  // The last row: whole words of it while they and "..." fit.
  const last = words(rows[maxRows - 1]);
  let cut = "";
  for (let k = 0; k < last.length; k++) {
    const next = cut === "" ? last[k] : cut + " " + last[k];
    if (m.textWidth(font, next + ELLIPSIS) > width) break;
    cut = next;
  }
  // Not even one whole word fits beside "...": one word wider than the row, cut as little as the row allows.
  if (cut === "" && last.length > 0) cut = last[0].substring(0, headThatFits(m, font, last[0], width - m.textWidth(font, ELLIPSIS)));
  kept.push(cut + ELLIPSIS);
  return kept;
}

/** The largest font no taller than maxH whose text fits width (font 0 when none does). */
function largestFont(m: PanelMetrics, maxH: number, fits: (f: number) => boolean): number {
  for (let f = m.fonts - 1; f > 0; f--) if (m.fontHeight(f) <= maxH && fits(f)) return f;
  return 0;
}

/**
 * Where the layout puts each op as it makes it: a list (the admin line's
 * SCREEN, the tests) or a canvas that draws it at once. A screen's list of
 * ops is its biggest thing on Espruino (an op an object of seven fields, a
 * dozen variables; a cross icon alone is 17 rectangles), so a panel draws
 * each op as it comes and keeps none.
 */
export type OpSink = (this: void, o: Op) => void;

function rect(put: OpSink, x: number, y: number, w: number, h: number, ink: Ink): void {
  if (w > 0 && h > 0) put({ x, y, w, h, ink, font: -1, text: "" });
}

function text(put: OpSink, m: PanelMetrics, x: number, y: number, font: number, t: string, ink: Ink): void {
  if (t !== "") put({ x, y, w: m.textWidth(font, t), h: m.fontHeight(font), ink, font, text: t });
}

function icon(put: OpSink, kind: Icon, x: number, y: number, size: number, ink: Ink): void {
  const rows = ICONS[kind];
  const s = Math.max(1, Math.floor(size / 7));
  for (let r = 0; r < rows.length; r++) {
    let run = -1;
    for (let b = 0; b <= 7; b++) {
      const on = b < 7 && (rows[r] & (1 << (6 - b))) !== 0;
      if (on && run < 0) run = b;
      if (!on && run >= 0) {
        rect(put, x + run * s, y + r * s, (b - run) * s, s, ink);
        run = -1;
      }
    }
  }
}

/** One row of the body: its text and whether it is a warning (drawn on its own band). */
interface Row {
  text: string;
  warn: boolean;
  /** Several items sharing the last row. */
  joined?: boolean;
}

/**
 * The rows of the body in at most `room` rows: the name first, then the
 * first fact, the warnings, the other facts. Each gets one row; rows to
 * spare go first to the items cut short (up to two rows each), then to the
 * name (up to three); when there are more items than rows, the last ones
 * share the last row.
 */
function bodyRows(s: Screen, m: PanelMetrics, font: number, width: number, room: number): Row[] {
  const items: Row[] = [];
  const facts = s.facts !== undefined ? s.facts : s.lines;
  if (facts.length > 0) items.push({ text: facts[0], warn: false });
  for (let i = 0; i < s.warnings.length; i++) items.push({ text: "! " + s.warnings[i], warn: true });
  for (let i = 1; i < facts.length; i++) items.push({ text: facts[i], warn: false });
  const hasName = s.name !== undefined;
  const slots = room - (hasName ? 1 : 0);
  if (slots <= 0) return hasName && room > 0 ? [{ text: wrapText(m, font, s.name as string, width, 1)[0], warn: false }] : [];
  // More items than rows: the warnings share one row, then the last row holds the rest, joined.
  let firstWarn = -1;
  for (let i = 0; i < items.length && items.length > slots; i++) {
    if (!items[i].warn) continue;
    if (firstWarn < 0) firstWarn = i;
    else {
      items[firstWarn].text += "  " + items[i].text;
      items.splice(i, 1);
      i--;
    }
  }
  if (items.length > slots) {
    let joined = items[slots - 1].text;
    for (let k = slots; k < items.length; k++) joined += "  " + items[k].text;
    items.splice(slots - 1, items.length - slots + 1, { text: joined, warn: items[slots - 1].warn, joined: true });
  }
  let spare = slots - items.length;
  const rowsOf: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const want = Math.min(2, wrapText(m, font, items[i].text, width, 9).length);
    const give = Math.min(want - 1, spare);
    rowsOf.push(1 + give);
    spare -= give;
  }
  const rows: Row[] = [];
  if (hasName) {
    const lines = wrapText(m, font, s.name as string, width, 1 + Math.min(2, spare));
    for (let i = 0; i < lines.length; i++) rows.push({ text: lines[i], warn: false });
  }
  for (let i = 0; i < items.length; i++) {
    // A labelled number short of rows drops its label before its value ("Born 05-12-1990" -> "05-12-1990").
    let t = items[i].text;
    let sp = -1;
    for (let k = 0; k < t.length; k++) if (t.charCodeAt(k) === 32) sp = k;
    if (!items[i].warn && items[i].joined !== true && sp > 0 && endsInDigit(t) && wrapText(m, font, t, width, 9).length > rowsOf[i] && m.textWidth(font, t.substring(sp + 1)) <= width) t = t.substring(sp + 1);
    const lines = wrapText(m, font, t, width, rowsOf[i]);
    for (let k = 0; k < lines.length; k++) rows.push({ text: lines[k], warn: items[i].warn });
  }
  return rows;
}

/** The screen laid out on a panel of these metrics: rectangles and texts, all inside it. */
export function layout(s: Screen, m: PanelMetrics): Op[] {
  const ops: Op[] = [];
  layoutInto(s, m, (o) => {
    ops.push(o);
  });
  return ops;
}

/** layout, each op handed to `ops` as it is made, in the order layout lists them. */
export function layoutInto(s: Screen, m: PanelMetrics, ops: OpSink): void {
  const W = m.width;
  const H = m.height;
  const pad = Math.max(1, Math.floor(H / 40));
  const kind = kindOf(s);
  const ico = iconOf(kind);
  const band = bandInk(kind, s);
  // Colour: the whole screen in the verdict's colour. Monochrome: a white band, black text.
  const bg: Ink = m.colour ? band : "black";
  const fg: Ink = m.colour && band === "amber" ? "black" : "white";
  const bandBg: Ink = m.colour ? band : "white";
  const bandFg: Ink = m.colour ? fg : "black";
  rect(ops, 0, 0, W, H, bg);

  // The band: the title as large as fits beside its icon, up to a fifth of the height (16 pixels at least).
  const titleMax = Math.max(16, Math.floor(H / 5));
  const iconRoom = (f: number) => (ico === "none" ? 0 : m.fontHeight(f) + pad);
  const tf = largestFont(m, titleMax, (f) => iconRoom(f) + m.textWidth(f, s.title) <= W - 2 * pad);
  const th = m.fontHeight(tf);
  const bandH = th + 2 * pad;
  rect(ops, 0, 0, W, bandH, bandBg);
  if (ico !== "none") icon(ops, ico, pad, pad + Math.floor((th - 7 * Math.max(1, Math.floor(th / 7))) / 2), th, bandFg);
  const title = wrapText(m, tf, s.title, W - 2 * pad - iconRoom(tf), 1)[0];
  text(ops, m, pad + iconRoom(tf), pad, tf, title, bandFg);

  // The footer: the corner text (verdict number, device id) and the countdown bar. On a panel
  // under 100 pixels the corner goes into the band when it fits beside the title, and the bar
  // is a thin line along the bottom, so the body keeps its rows.
  const small = largestFont(m, Math.floor(H / 12), (f) => 8 * m.textWidth(f, "M") <= W / 2);
  const fh = m.fontHeight(small);
  const counting = s.left !== undefined && s.total !== undefined && s.total > 0;
  const cw = s.corner === undefined ? 0 : m.textWidth(small, s.corner);
  const titleRight = pad + iconRoom(tf) + m.textWidth(tf, title);
  const inBand = s.corner !== undefined && H < 100 && titleRight + 2 * pad + cw <= W - pad;
  const compact = H < 100 && (s.corner === undefined || inBand);
  let bottom = H - pad;
  if (inBand) text(ops, m, W - pad - cw, pad + Math.floor((th - fh) / 2), small, s.corner as string, bandFg);
  if (compact) {
    if (counting) {
      rect(ops, pad, H - 2, Math.floor(((W - 2 * pad) * Math.max(0, Math.min(s.total as number, s.left as number))) / (s.total as number)), 2, fg);
      bottom = H - 2 - pad;
    }
  } else if (s.corner !== undefined || counting) {
    const footY = H - fh - pad;
    let barEnd = W - pad;
    if (s.corner !== undefined) {
      text(ops, m, W - pad - cw, footY, small, s.corner, fg);
      barEnd = W - 2 * pad - cw - pad;
    }
    if (counting && barEnd > pad) {
      const full = barEnd - pad;
      const barH = Math.max(2, Math.floor(fh / 3));
      const barY = footY + Math.floor((fh - barH) / 2);
      const left = Math.max(0, Math.min(s.total as number, s.left as number));
      rect(ops, pad, barY + Math.floor(barH / 2), full, 1, fg); // the track
      rect(ops, pad, barY, Math.floor((full * left) / (s.total as number)), barH, fg);
    }
    bottom = footY - pad;
  }

  // The body: a font for about seven rows, wide enough for a dozen characters.
  const width = W - 2 * pad;
  const bf = largestFont(m, Math.max(m.fontHeight(0), Math.floor(H / 7)), (f) => 13 * m.textWidth(f, "M") <= width);
  const step = m.fontHeight(bf) + Math.max(1, Math.floor(pad / 2));
  const top = bandH + pad;
  const room = Math.max(0, Math.floor((bottom - top + (step - m.fontHeight(bf))) / step));
  const rows = bodyRows(s, m, bf, width, room);
  let y = top;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    let ink = fg;
    if (r.warn) {
      rect(ops, 0, y - Math.floor(pad / 2), W, step, m.colour ? "yellow" : "white");
      ink = "black";
    }
    text(ops, m, pad, y, bf, r.text, ink);
    y += step;
  }
}

/** One op on a canvas. */
function draw(o: Op, c: Canvas): void {
  if (o.font < 0) c.rect(o.x, o.y, o.w, o.h, o.ink);
  else c.text(o.x, o.y, o.font, o.text, o.ink);
}

/** A short checksum of a frame's ops (positions, sizes, inks, texts), to compare frames across runtimes. */
export function frameDigest(ops: Op[]): string {
  let h = 5381;
  const mix = (n: number) => {
    h = ((h * 33) % 2147483647) + n;
  };
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i];
    mix(o.x);
    mix(o.y);
    mix(o.w);
    mix(o.h);
    mix(o.font + 1);
    mix(o.ink.length);
    for (let k = 0; k < o.text.length; k++) mix(o.text.charCodeAt(k));
  }
  return ops.length + "." + h;
}

/**
 * Metrics of fonts made of fixed cells: font f is a cw x ch cell scaled by
 * f + 1 (Espruino's "6x8" at scales 1..n, the simulator). Every character
 * counts one cell (a UTF-8 sequence counts once).
 */
export function cellMetrics(width: number, height: number, colour: boolean, cw: number, ch: number, fonts: number): PanelMetrics {
  return {
    width,
    height,
    colour,
    fonts,
    fontHeight: (f: number) => ch * (f + 1),
    textWidth(f: number, t: string): number {
      let n = 0;
      for (let i = 0; i < t.length; i++) {
        const c = t.charCodeAt(i);
        if (c < 0x80 || c >= 0xc0) n++;
      }
      return n * cw * (f + 1);
    },
  };
}

/**
 * A Display on a panel driver: every screen laid out and drawn op by op (layoutInto). The frame is
 * not kept: the admin line's SCREEN lays the last screen out again on the
 * same canvas (its ops were 194 variables on a 5,100-variable board).
 */
export class PanelDisplay {
  constructor(readonly canvas: Canvas) {}
  show(s: Screen): void {
    const c = this.canvas;
    layoutInto(s, c, (o) => draw(o, c));
    c.flush();
  }
}
