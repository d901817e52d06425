// npm run screens [-- --out DIR]   (default docs/screens)
// The demo's screens as each display's driver draws them, in both
// languages: the Espruino drivers on a real Espruino for Linux (ESPRUINO
// names it; its buses and `g` are stood in for and each frame is read back
// as it leaves the driver), the Lua driver on real lua5.4 through the u8g2
// stand-in, and the simulator's renderer. Each frame is checked (every op
// inside the panel) and written as DIR/<display>/<lang>-<nn>-<step>.png.
// The display tests (test/display-frames.test.ts) use the same functions.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PNG } from "pngjs";
import type { Ink, Screen } from "../../firmware/hal/display";
import type { Op } from "../../firmware/app/layout";
import { LANGS, type Lang } from "../../firmware/app/i18n";
import { demoScreens, INKS, PANELS, type PanelName, renderFramePng, renderPanelPng } from "../../sim/index";
import { checkEspruino } from "./espruino-check";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCRATCH = join(tmpdir(), "pindai-screens", String(process.pid));

/** The displays: the Espruino panels and the Lua image's SSD1306 (u8g2). */
export const ESPRUINO_PANELS: PanelName[] = ["ssd1306", "st7789-240", "st7789-135", "bangle2", "pixl"];
export const LUA_PANEL = { name: "lua-ssd1306", width: 128, height: 64, colour: false };

/** One frame as a driver sent it: its pixels as RGBA, and the layout ops it drew. */
export interface Frame {
  width: number;
  height: number;
  rgba: Uint8Array;
  ops: Op[];
}

function hexRgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}
const MONO_ON = hexRgb("#e8f0ff");

/** Pixels from a function giving each pixel's colour. */
function pixels(width: number, height: number, at: (x: number, y: number) => [number, number, number]): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = at(x, y);
      rgba.set([c[0], c[1], c[2], 255], 4 * (y * width + x));
    }
  }
  return rgba;
}

/** A frame as PNG, each panel pixel `zoom` x `zoom`. */
export function framePng(f: { width: number; height: number; rgba: Uint8Array }, zoom = 2): Buffer {
  const png = new PNG({ width: f.width * zoom, height: f.height * zoom });
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const s = 4 * (Math.floor(y / zoom) * f.width + Math.floor(x / zoom));
      for (let c = 0; c < 4; c++) png.data[4 * (y * png.width + x) + c] = f.rgba[s + c];
    }
  }
  return PNG.sync.write(png);
}

let espruinoBundle: string | undefined;

/** The screens entry bundled as an image is (rollup.config.js, minified) and checked for Espruino. */
async function bundleEspruinoEntry(): Promise<string> {
  if (espruinoBundle !== undefined) return espruinoBundle;
  const { rollup } = await import("rollup");
  // @ts-expect-error plain JS config
  const { espruinoConfig } = await import("../../rollup.config.js");
  mkdirSync(SCRATCH, { recursive: true });
  const file = join(SCRATCH, "screens-entry.js");
  const rc = espruinoConfig({ input: join(ROOT, "host/build/screens-espruino-entry.ts"), file, name: "screens" });
  const bundle = await rollup({ input: rc.input, plugins: rc.plugins, onwarn: rc.onwarn });
  await bundle.write(rc.output);
  await bundle.close();
  const findings = checkEspruino(readFileSync(file, "utf8"));
  if (findings.length > 0) throw new Error("screens entry: not Espruino-compatible: " + findings.map((f) => f.what).join("; "));
  espruinoBundle = readFileSync(file, "utf8");
  return espruinoBundle;
}

// In front of the bundle: the bus or `g` each panel's driver draws to, printing each frame in base64.
const STANDINS: Record<string, string> = {
  ssd1306: `var FB = new Uint8Array(1024), FP = 0;
I2C1 = { setup: function () {}, writeTo: function (a, d) {
  if (typeof d === "object" && d.length === 129 && d[0] === 0x40) { FB.set(new Uint8Array(d.buffer, 1, 128), FP); FP += 128;
    if (FP === 1024) { OUT("@@F " + btoa(E.toString(FB))); FP = 0; } } } };`,
  "st7789-240": `SPI1 = { setup: function () {}, write: function (d) { if (typeof d === "object" && d.length === 480) OUT("@@R " + btoa(E.toString(d))); } };`,
  pixl: `g = Graphics.createArrayBuffer(128, 64, 1, { msb: true }); g.flip = function () { OUT("@@F " + btoa(E.toString(new Uint8Array(g.buffer)))); };`,
  // Bangle.js 2's g is 3 bits a pixel; an ArrayBuffer Graphics of 4 bits holds the same colour numbers.
  bangle2: `g = Graphics.createArrayBuffer(176, 176, 4, { msb: true }); g.flip = function () { OUT("@@F " + btoa(E.toString(new Uint8Array(g.buffer)))); };`,
};
STANDINS["st7789-135"] = STANDINS["st7789-240"];

const RGB3 = (v: number): [number, number, number] => [v & 4 ? 255 : 0, v & 2 ? 255 : 0, v & 1 ? 255 : 0];

/** The frames' pixels from what the stand-in printed. */
function decodeFrames(panel: PanelName, out: string): Uint8Array[] {
  const p = PANELS[panel];
  const frames: Uint8Array[] = [];
  if (panel === "st7789-240" || panel === "st7789-135") {
    const rows = [...out.matchAll(/^@@R (\S+)/gm)].map((m) => Buffer.from(m[1], "base64"));
    for (let k = 0; k + p.height <= rows.length; k += p.height) {
      frames.push(
        pixels(p.width, p.height, (x, y) => {
          const v = (rows[k + y][2 * x] << 8) | rows[k + y][2 * x + 1]; // RGB565, high byte first
          return [((v >> 11) & 31) * 8.23, ((v >> 5) & 63) * 4.05, (v & 31) * 8.23].map(Math.round) as [number, number, number];
        }),
      );
    }
    return frames;
  }
  for (const m of out.matchAll(/^@@F (\S+)/gm)) {
    const b = Buffer.from(m[1], "base64");
    if (panel === "ssd1306") frames.push(pixels(128, 64, (x, y) => ((b[(y >> 3) * 128 + x] >> (y & 7)) & 1 ? MONO_ON : [0, 0, 0])));
    else if (panel === "pixl") frames.push(pixels(128, 64, (x, y) => ((b[y * 16 + (x >> 3)] >> (7 - (x & 7))) & 1 ? MONO_ON : [0, 0, 0])));
    else frames.push(pixels(176, 176, (x, y) => RGB3((b[y * 88 + (x >> 1)] >> (x & 1 ? 0 : 4)) & 15)));
  }
  return frames;
}

/** The screens drawn by an Espruino panel's driver on a real Espruino; and the variables the driver held after its first frame. */
export async function espruinoFrames(bin: string, panel: PanelName, screens: Screen[]): Promise<{ frames: Frame[]; variables: number }> {
  const bundle = await bundleEspruinoEntry();
  mkdirSync(SCRATCH, { recursive: true });
  const script = join(SCRATCH, `${panel}.js`);
  writeFileSync(script, `var OUT = print;\n${STANDINS[panel]}\n${bundle}\nscreens.drawAll(${JSON.stringify(panel)}, ${JSON.stringify(screens)});\n`);
  const r = spawnSync(bin, [script], { cwd: SCRATCH, encoding: "latin1", timeout: 300_000, killSignal: "SIGKILL", maxBuffer: 1 << 28 });
  const out = r.stdout ?? "";
  const ops = [...out.matchAll(/^@@O (.*)$/gm)].map((m) => JSON.parse(m[1]) as Op[]);
  const pix = decodeFrames(panel, out);
  const mem = /^@@M (\d+)/m.exec(out);
  if (ops.length !== screens.length || pix.length !== screens.length || !mem) {
    throw new Error(`espruino ${panel}: ${ops.length} layouts and ${pix.length} frames for ${screens.length} screens: ${out.replace(/@@[FR] \S+\r?\n/g, "").slice(-600)} ${r.stderr ?? ""}`);
  }
  const p = PANELS[panel];
  return { frames: pix.map((rgba, i) => ({ width: p.width, height: p.height, rgba, ops: ops[i] })), variables: Number(mem[1]) };
}

/**
 * A built Espruino image (npm run build with this panel's display block) run
 * on a real Espruino with the panel's bus stood in for: the frames it draws
 * within `ms` (its boot screen first) and the variables in use then;
 * `tables`: the table maker's part was loaded by then (a table step's variables are in the count).
 */
export async function espruinoImageFrames(bin: string, panel: PanelName | "none", image: string, ms = 500): Promise<{ frames: Uint8Array[]; variables: number; tables: boolean; output: string }> {
  mkdirSync(SCRATCH, { recursive: true });
  const script = join(SCRATCH, `image-${panel}.js`);
  // After boot: the variables in use, then quit (the image keeps a timer running on Linux).
  const file = join(SCRATCH, `image-${panel}.out`);
  writeFileSync(file, "");
  const out0 = `var OUT = function (s) { require("fs").appendFileSync(${JSON.stringify(file)}, s + "\\n"); };`;
  // The image's droppable parts (host/build/espruino-parts.js) still loaded from boot go first, as they would once idle
  // (a dropper comes with its part, and goes once run).
  const dropIdle = `if (typeof $D !== "undefined") for (var n in $P) if ($D[n] && !($C[n] > 0)) { $D[n](); delete $D[n]; delete $P[n]; }`;
  const tbl = `(typeof $P !== "undefined" && $P.tbl ? 1 : 0)`;
  const after = `setTimeout(function () { ${dropIdle} OUT("@@M " + process.memory().usage + " " + ${tbl}); quit(); }, ${ms});`;
  writeFileSync(script, [out0, panel === "none" ? "" : STANDINS[panel], readFileSync(image, "utf8"), after].join("\n"));
  // stdin stays open while it runs: Espruino for Linux stops at the end of its console's input.
  const stdout = await new Promise<string>((done) => {
    const p = spawn(bin, [script], { cwd: SCRATCH, stdio: ["pipe", "pipe", "pipe"] });
    let text = "";
    p.stdout.on("data", (d: Buffer) => (text += d.toString("latin1")));
    const kill = setTimeout(() => p.kill("SIGKILL"), 120_000);
    p.on("close", () => {
      clearTimeout(kill);
      done(text);
    });
  });
  const out = readFileSync(file, "latin1") + stdout;
  const mem = /^@@M (\d+) ([01])/m.exec(out);
  if (!mem) throw new Error(`espruino image ${panel}: no memory line: ${out.replace(/@@[FR] \S+\r?\n/g, "").slice(-600)}`);
  return { frames: panel === "none" ? [] : decodeFrames(panel, out), variables: Number(mem[1]), tables: mem[2] === "1", output: out };
}

let luaBundle: string | undefined;

/** The screens drawn by the Lua image's SSD1306 driver on real Lua, through the u8g2 stand-in. */
export async function luaFrames(bin: string, screens: Screen[]): Promise<Frame[]> {
  if (luaBundle === undefined) {
    const tstl = await import("typescript-to-lua");
    const ts = (await import("typescript")).default;
    mkdirSync(SCRATCH, { recursive: true });
    const entry = join(ROOT, "host/build/screens-lua-entry.ts");
    const out = join(SCRATCH, "screens.lua");
    const cfg = ts.readConfigFile(join(ROOT, "tsconfig.lua.json"), ts.sys.readFile).config;
    const options = ts.convertCompilerOptionsFromJson(cfg.compilerOptions, ROOT).options;
    const r = tstl.transpileFiles([entry], { ...options, ...cfg.tstl, luaBundle: out, luaBundleEntry: entry } as import("typescript-to-lua").CompilerOptions);
    if (r.diagnostics.length > 0) throw new Error("typescript-to-lua: " + r.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n"));
    luaBundle = out;
  }
  const script = join(SCRATCH, "screens-run.lua");
  writeFileSync(
    script,
    `dofile(${luaString(join(ROOT, "firmware/targets/lua/u8g2-standin.lua"))})\n` +
      `local m = dofile(${luaString(luaBundle)})\nm.drawAll(${luaValue(screens)})\n`,
  );
  const r = spawnSync(bin, [script], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${bin}: ${r.stderr}`);
  const frames: Frame[] = [];
  let ops: Op[] = [];
  for (const line of r.stdout.split("\n")) {
    const m = /^u8g2 ([BSF]) (.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === "F") {
      frames.push({ ...rasterBoxes(ops), ops });
      ops = [];
      continue;
    }
    const f = m[2].split(" ");
    const ink: Ink = (m[1] === "B" ? f[4] : f[3]) === "0" ? "black" : "white";
    if (m[1] === "B") ops.push({ x: +f[0], y: +f[1], w: +f[2], h: +f[3], ink, font: -1, text: "" });
    else {
      const font = LUA_FONTS.indexOf(f[2]);
      const text = f.slice(4).join(" ");
      const cell = LUA_CELLS[font];
      ops.push({ x: +f[0], y: +f[1], w: [...text].length * cell.w, h: cell.h, ink, font, text });
    }
  }
  if (frames.length !== screens.length) throw new Error(`${bin}: ${frames.length} frames for ${screens.length} screens`);
  return frames;
}

/** The stand-in's u8g2 fonts: cell width and height (ascent - descent). */
export const LUA_FONTS = ["6x10", "7x14B", "10x20"];
export const LUA_CELLS = [
  { w: 6, h: 9 },
  { w: 7, h: 13 },
  { w: 10, h: 18 },
];

/** The boxes of a Lua frame as pixels (its text is drawn by renderFramePng: the stand-in has no glyphs). */
function rasterBoxes(ops: Op[]): { width: number; height: number; rgba: Uint8Array } {
  const on = new Uint8Array(128 * 64);
  for (const o of ops) {
    if (o.font >= 0) continue;
    for (let y = Math.max(0, o.y); y < Math.min(64, o.y + o.h); y++) for (let x = Math.max(0, o.x); x < Math.min(128, o.x + o.w); x++) on[y * 128 + x] = o.ink === "black" ? 0 : 1;
  }
  return { width: 128, height: 64, rgba: pixels(128, 64, (x, y) => (on[y * 128 + x] ? MONO_ON : [0, 0, 0])) };
}

function luaString(s: string): string {
  return '"' + s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") + '"';
}

/** A JSON-like value as a Lua table constructor (arrays 1-based, as typescript-to-lua's). */
function luaValue(v: unknown): string {
  if (typeof v === "string") return luaString(v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v === undefined || v === null) return "nil";
  if (Array.isArray(v)) return "{" + v.map(luaValue).join(", ") + "}";
  return "{" + Object.entries(v as object).filter(([, x]) => x !== undefined).map(([k, x]) => `[${luaString(k)}] = ${luaValue(x)}`).join(", ") + "}";
}

/** What is wrong with a frame: an op outside the panel, a required text missing. */
export function frameProblems(f: Frame, s: Screen, glyphs = true): string[] {
  const bad: string[] = [];
  for (const o of f.ops) {
    if (o.x < 0 || o.y < 0 || o.x + o.w > f.width || o.y + o.h > f.height) bad.push(`outside the ${f.width}x${f.height} panel: ${JSON.stringify(o)}`);
  }
  const texts = f.ops.filter((o) => o.font >= 0).map((o) => o.text);
  const all = texts.join(" ");
  const need: string[] = [s.title];
  if (s.kind === "ok") {
    // The name, the date of birth, the NIK's last 4 and the issuer (its first word at least).
    const facts = s.facts ?? [];
    need.push(s.name!.split(" ")[0].slice(0, 8), facts[0].split(" ").pop()!, facts[1].slice(-4), facts[2].split(" ")[0]);
  } else if (s.facts) need.push(s.facts[0].split(" ")[0]);
  else if (s.lines.length > 0) need.push(s.lines[0].split(" ")[0]);
  if (s.corner) need.push(s.corner);
  for (const n of need) if (!all.includes(n)) bad.push(`"${n}" is not drawn (texts: ${texts.join(" | ")})`);
  const colour = f.rgba;
  // Ink at the title: the frame is not blank where the layout put the verdict.
  const title = f.ops.find((o) => o.text === s.title);
  if (title && glyphs) {
    const seen = new Set<string>();
    for (let y = title.y; y < title.y + title.h; y++) for (let x = title.x; x < title.x + title.w; x++) seen.add(colour.slice(4 * (y * f.width + x), 4 * (y * f.width + x) + 3).join(","));
    if (seen.size < 2) bad.push(`the title "${s.title}" left no pixels`);
  }
  if (s.left !== undefined && !f.ops.some((o) => o.font < 0 && o.h >= 2 && o.y > f.height / 2 && o.w < f.width && o.x > 0)) bad.push("no countdown bar");
  return bad;
}

/** The simulator's frame of a screen on a panel (its PNG comes from renderFramePng). */
export async function writeScreens(outDir: string, log: (s: string) => void = console.log): Promise<Record<string, number>> {
  const bin = process.env.ESPRUINO;
  const lua = process.env.LUA ?? "lua5.4";
  const variables: Record<string, number> = {};
  const written: string[] = [];
  for (const lang of LANGS as readonly Lang[]) {
    const demo = await demoScreens(lang);
    const screens = demo.map((d) => d.screen);
    const name = (i: number) => `${lang}-${String(i + 1).padStart(2, "0")}-${demo[i].step}.png`;
    const put = (display: string, i: number, png: Buffer) => {
      mkdirSync(join(outDir, display), { recursive: true });
      writeFileSync(join(outDir, display, name(i)), png);
      written.push(join(display, name(i)));
    };
    for (const panel of ESPRUINO_PANELS) {
      if (bin) {
        const r = await espruinoFrames(bin, panel, screens);
        variables[panel] = r.variables;
        r.frames.forEach((f, i) => {
          const bad = frameProblems(f, screens[i]);
          if (bad.length > 0) throw new Error(`${panel} ${name(i)}: ${bad.join("; ")}`);
          put(panel, i, framePng(f));
        });
      } else {
        for (let i = 0; i < screens.length; i++) put(panel, i, await renderPanelPng(screens[i], panel));
      }
    }
    const frames = await luaFrames(lua, screens);
    for (let i = 0; i < frames.length; i++) {
      const bad = frameProblems(frames[i], screens[i], false);
      if (bad.length > 0) throw new Error(`lua ${name(i)}: ${bad.join("; ")}`);
      put(LUA_PANEL.name, i, await renderFramePng(frames[i].ops, LUA_PANEL, 2));
    }
  }
  writeFileSync(join(outDir, "README.md"), screensIndex(written, bin !== undefined));
  log(`${written.length} screens in ${outDir}/ (${bin ? "Espruino drivers on " + bin : "ESPRUINO not set: the Espruino panels are the simulator's drawing"}; Lua through the u8g2 stand-in on ${lua})`);
  if (bin) log("variables each Espruino driver holds after its first frame: " + JSON.stringify(variables));
  return variables;
}

/** docs/screens/README.md: one row per screen of the demo, one column per display. */
export function screensIndex(files: string[], realEspruino: boolean): string {
  const displays = [...ESPRUINO_PANELS, LUA_PANEL.name];
  const names = [...new Set(files.map((f) => f.split("/")[1]))].sort();
  const rows = names.map((n) => `| ${n.replace(/\.png$/, "")} | ${displays.map((d) => (files.includes(`${d}/${n}`) ? `![${d} ${n}](${d}/${n})` : "")).join(" | ")} |`);
  return [
    "# The guard's screens, per display",
    "",
    "Made by `npm run screens` (host/build/screens.ts) from the demo's story (sim/demo-screens.ts), in Bahasa Indonesia (id) and English (en).",
    realEspruino
      ? "The Espruino panels are the frames the drivers in firmware/targets/espruino drew on a real Espruino for Linux; lua-ssd1306 is the Lua driver's frame on lua5.4 through the u8g2 stand-in (its texts drawn in a monospace font of u8g2's widths)."
      : "ESPRUINO was not set: the Espruino panels are the simulator's drawing of the same layout; lua-ssd1306 is the Lua driver's frame on lua5.4 through the u8g2 stand-in.",
    "Each PNG is twice the panel's size.",
    "",
    `| screen | ${displays.join(" | ")} |`,
    `|---|${displays.map(() => "---").join("|")}|`,
    ...rows,
    "",
  ].join("\n");
}

export { INKS };

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf("--out");
  const out = resolve(i > 0 ? process.argv[i + 1] : join(ROOT, "docs/screens"));
  writeScreens(out).catch((e) => {
    console.error("screens: " + (e as Error).message);
    process.exit(1);
  });
}
