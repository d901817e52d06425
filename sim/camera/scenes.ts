// Frames a camera verifier sees when nobody shows it a code, and frames with
// more than one code: the bench's false-verdict count and the tests' "take the
// pindai code" case. Seeded like synth.ts, so every frame is reproducible.
import type { Frame } from "../../firmware/hal/frame-source";
import QRCode from "qrcode";
import { CLEAN, LEVELS, blur, prng, synthFrame, type Distortion } from "./synth";

export const NO_CODE_KINDS = ["blank", "hand", "noise", "screen"] as const;
export type NoCodeKind = (typeof NO_CODE_KINDS)[number];

/** A frame without any QR code: a phone with a blank screen, a hand, sensor noise, or a screen of text-like blocks. */
export function noCodeFrame(kind: NoCodeKind, seed: number, width = 640, height = 480): Frame {
  const rand = prng(seed * 7919 + NO_CODE_KINDS.indexOf(kind));
  if (kind === "blank") {
    const level = LEVELS[Math.floor(rand() * LEVELS.length)];
    const d: Distortion = { ...level, scale: 0.3 + rand() * 0.5, noise: rand() * 16 };
    return synthFrame("", d, { seed, width, height });
  }
  const img = new Float32Array(width * height);
  const room = 60 + rand() * 120;
  for (let i = 0; i < img.length; i++) img[i] = room + ((i % width) / width) * 20;
  if (kind === "hand") paintHand(img, width, height, rand);
  if (kind === "screen") paintTextBlocks(img, width, height, rand);
  const sigma = kind === "noise" ? 4 + rand() * 40 : 2 + rand() * 10;
  const soft = blur(img, width, height, kind === "noise" ? 0 : rand() * 1.5);
  const luma = new Uint8Array(width * height);
  for (let i = 0; i < luma.length; i++) {
    const n = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(6.283185307 * rand());
    const v = soft[i] + n * sigma;
    luma[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
  return { width, height, luma };
}

/** A palm and four or five fingers (lit from one side), somewhere over the frame. */
function paintHand(img: Float32Array, w: number, h: number, rand: () => number): void {
  const skin = 110 + rand() * 110;
  const px = w * (0.2 + rand() * 0.6), py = h * (0.4 + rand() * 0.5), r = h * (0.15 + rand() * 0.2);
  const angle = (rand() - 0.5) * 1.2;
  const blobs: Array<[number, number, number, number, number]> = [[px, py, r, r * 1.1, angle]]; // cx, cy, rx, ry, angle
  const fingers = 4 + Math.floor(rand() * 2);
  for (let f = 0; f < fingers; f++) {
    const a = angle - Math.PI / 2 + (f - (fingers - 1) / 2) * 0.35;
    const len = r * (0.9 + rand() * 0.5);
    blobs.push([px + Math.cos(a) * (r + len / 2), py + Math.sin(a) * (r + len / 2), len / 2, r * 0.18, a]);
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (const [cx, cy, rx, ry, a] of blobs) {
        const dx = x - cx, dy = y - cy;
        const u = (dx * Math.cos(a) + dy * Math.sin(a)) / rx, v = (-dx * Math.sin(a) + dy * Math.cos(a)) / ry;
        const q = u * u + v * v;
        if (q < 1) {
          img[y * w + x] = skin * (0.75 + 0.25 * (1 - q)) - (x / w) * 25; // shaded towards the edges and one side
          break;
        }
      }
    }
  }
}

/** A lit screen or page with rows of dark word-like blocks: edges and squares, but no finder patterns by design. */
function paintTextBlocks(img: Float32Array, w: number, h: number, rand: () => number): void {
  const x0 = w * 0.1 * rand(), y0 = h * 0.1 * rand(), x1 = w * (0.9 + 0.1 * rand()), y1 = h * (0.9 + 0.1 * rand());
  const paper = 200 + rand() * 40, ink = 20 + rand() * 50;
  const line = 6 + rand() * 14;
  for (let y = Math.floor(y0); y < y1; y++) for (let x = Math.floor(x0); x < x1; x++) img[y * w + x] = paper;
  for (let y = y0 + line; y + line * 0.6 < y1; y += line * 1.6) {
    let x = x0 + line;
    while (x < x1 - line) {
      const word = line * (1 + rand() * 5);
      for (let yy = Math.floor(y); yy < y + line * 0.7; yy++) {
        for (let xx = Math.floor(x); xx < Math.min(x + word, x1); xx++) if (rand() < 0.55) img[yy * w + xx] = ink;
      }
      x += word + line * 0.6;
    }
  }
}

/** Two phones side by side, each showing its own code (left: `left`, right: `right`). */
export function twoCodesFrame(left: string, right: string, d: Distortion, seed: number, width = 640, height = 480): Frame {
  const half = Math.floor(width / 2);
  const a = synthFrame(left, d, { seed, width: half, height });
  const b = synthFrame(right, d, { seed: seed + 1, width: width - half, height });
  const luma = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) luma[y * width + x] = x < half ? a.luma[y * half + x] : b.luma[y * (width - half) + x - half];
  }
  return { width, height, luma };
}

/**
 * The camera targets (issue 11): the code at 30-50 % of the frame height (so
 * the module pitch is never a whole number of pixels), one degradation per
 * row.
 */
export const TARGET_ROWS: Record<string, Partial<Distortion>> = {
  "pitch only": {},
  "noise 8": { noise: 8 },
  "noise 16": { noise: 16 },
  "blur sigma 1": { blurSigma: 1 },
  "tilt 20 deg": { tiltDeg: 20 },
  "rotation 15": { rotation: 15 },
  "rotation 45": { rotation: 45 },
  "glare 0.5": { glare: 0.5 },
  "tilt 20, 1 module from the edge": { tiltDeg: 20, edgeModules: 1 },
};

/** The row's distortion for frame `seed`: the code's share of the frame height drawn from 30-50 %. */
export function targetDistortion(text: string, row: Partial<Distortion>, seed: number): Distortion {
  const size = QRCode.create(text, { errorCorrectionLevel: "M" }).modules.size;
  const share = 0.3 + 0.2 * prng(seed * 104729)();
  return { ...CLEAN, scale: (share * (size + 8)) / size, ...row };
}
