// Writes the committed camera test frames (test/vectors/camera/): synthetic
// frames made here, never photos from elsewhere. Each frame is an 8-bit grey
// PNG; manifest.json says what a device must read from it.
//   npx tsx sim/camera/make-vectors.ts [DIR]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import type { Frame } from "../../firmware/hal/frame-source";
import { makeKey, present } from "../../test/support/fixtures";
import { CLEAN, synthFrame } from "./synth";
import { NO_CODE_KINDS, TARGET_ROWS, noCodeFrame, targetDistortion, twoCodesFrame } from "./scenes";

export interface VectorEntry {
  file: string;
  /** The text a device takes from the frame; null: nothing (no verdict). */
  expect: string | null;
  what: string;
}

/** An 8-bit greyscale PNG of the frame. */
export function greyPng(f: Frame): Buffer {
  const png = new PNG({ width: f.width, height: f.height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(f.luma);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

const URL = "HTTPS://EXAMPLE.ORG/PINDAI";

export function makeVectors(dir: string): VectorEntry[] {
  mkdirSync(dir, { recursive: true });
  const text = present(makeKey(["qr"]));
  const entries: VectorEntry[] = [];
  const add = (file: string, f: Frame, expect: string | null, what: string) => {
    writeFileSync(join(dir, file), greyPng(f));
    entries.push({ file, expect, what });
  };
  Object.entries(TARGET_ROWS).forEach(([row, d], i) => {
    const seed = 100 + i;
    const slug = row.replace(/[^a-z0-9]+/gi, "-").replace(/-$/, "");
    add(`code-640-${slug}.png`, synthFrame(text, targetDistortion(text, d, seed), { seed, width: 640, height: 480 }), text, `640x480, ${row}`);
  });
  add("code-640-dark-mode.png", synthFrame(text, targetDistortion(text, { inverted: true, noise: 4 }, 8), { seed: 8, width: 640, height: 480 }), text, "640x480, light modules on a dark screen");
  add("code-320-pitch-only.png", synthFrame(text, targetDistortion(text, {}, 7), { seed: 7, width: 320, height: 240 }), text, "320x240, code at 30-50 % of the height");
  add("two-codes.png", twoCodesFrame(URL, text, { ...CLEAN, scale: 0.5, tiltDeg: 10 }, 3), text, "a URL code beside the pindai code: the pindai one");
  add("url-code.png", synthFrame(URL, { ...CLEAN, scale: 0.5, rotation: 10 }, { seed: 5, width: 640, height: 480 }), URL, "another code: its text (a device shows NOT_A_CREDENTIAL)");
  const binary = new Uint8Array(64).map((_, i) => (i * 37 + 1) & 0xff); // controls and bytes that are not UTF-8
  add("binary-code.png", synthFrame("", { ...CLEAN, scale: 0.5, bytes: binary }, { seed: 6, width: 640, height: 480 }), null, "a code of binary bytes: no verdict");
  NO_CODE_KINDS.forEach((kind, i) => add(`none-${kind}.png`, noCodeFrame(kind, 11 + i, 320, 240), null, `no code: ${kind}`));
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(entries, null, 1) + "\n");
  return entries;
}

import { pathToFileURL } from "node:url";
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? "test/vectors/camera";
  console.log(`wrote ${makeVectors(dir).length} frames to ${dir}/`);
}
