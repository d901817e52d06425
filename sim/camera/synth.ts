// Synthetic camera frames of a phone held up to a cheap verifier's camera:
// a room background, a phone body, its backlit screen showing the QR code,
// seen in perspective and then degraded as real cameras degrade it.
// Pipeline per frame (each step seeded, so a frame is reproducible):
//   geometry (scale, rotation, perspective tilt) -> projective warp of the
//   screen into the scene -> moire (screen pixel grid vs sensor) -> glare ->
//   contrast (backlight vs room light) -> blur (focus, motion) -> sensor noise.
import QRCode from "qrcode";
import type { Frame } from "../../firmware/hal/frame-source";

export interface Distortion {
  /** Phone screen height as a share of the frame height. */
  scale: number;
  /** In-plane rotation, degrees. */
  rotation: number;
  /** Perspective tilt 0..1 (how far one edge of the phone recedes). */
  tilt: number;
  /** The phone turned away from the camera by this many degrees (pinhole projection, 60-degree lens). */
  tiltDeg?: number;
  /** The phone moved towards one edge of the frame until the code is this many modules from it (under 4: the quiet zone is cut). */
  edgeModules?: number;
  /** Light modules on a dark screen (a phone in dark mode). */
  inverted?: boolean;
  /** Byte-mode QR of these bytes instead of `text` (a code that is not text). */
  bytes?: Uint8Array;
  /** Box blur radius in pixels (applied twice: close to a gaussian). */
  blur: number;
  /** A true gaussian blur of this sigma in pixels (after `blur`), for figures quoted as a sigma. */
  blurSigma?: number;
  /** Gaussian sensor noise, standard deviation in grey levels. */
  noise: number;
  /** Peak brightness added by a reflected light, 0..1 of full scale. */
  glare: number;
  /** Screen contrast, 1 = black modules on white, lower = washed out. */
  contrast: number;
  /** Amplitude of moire stripes, grey levels. */
  moire: number;
}

export const CLEAN: Distortion = { scale: 0.75, rotation: 0, tilt: 0, blur: 0, noise: 0, glare: 0, contrast: 1, moire: 0 };

/** Levels 0 (clean) .. 4 (harsh): everything at once, growing together. */
export const LEVELS: Distortion[] = [
  CLEAN,
  { scale: 0.7, rotation: 8, tilt: 0.06, blur: 0.5, noise: 1.5, glare: 0.1, contrast: 0.85, moire: 4 },
  { scale: 0.62, rotation: 15, tilt: 0.1, blur: 0.8, noise: 2.5, glare: 0.2, contrast: 0.7, moire: 8 },
  { scale: 0.55, rotation: 25, tilt: 0.15, blur: 1, noise: 3.5, glare: 0.3, contrast: 0.6, moire: 12 },
  { scale: 0.45, rotation: 35, tilt: 0.2, blur: 1.3, noise: 5, glare: 0.45, contrast: 0.5, moire: 16 },
];

/** One distortion at a time, for the per-kind sweep. */
export const SWEEPS: Record<string, Array<Partial<Distortion>>> = {
  scale: [{ scale: 0.6 }, { scale: 0.45 }, { scale: 0.35 }, { scale: 0.28 }],
  rotation: [{ rotation: 15 }, { rotation: 30 }, { rotation: 45 }, { rotation: 80 }],
  perspective: [{ tilt: 0.1 }, { tilt: 0.2 }, { tilt: 0.3 }, { tilt: 0.45 }],
  blur: [{ blur: 1 }, { blur: 2 }, { blur: 3 }, { blur: 4 }],
  noise: [{ noise: 4 }, { noise: 8 }, { noise: 15 }, { noise: 30 }],
  glare: [{ glare: 0.3 }, { glare: 0.5 }, { glare: 0.7 }, { glare: 0.9 }],
  contrast: [{ contrast: 0.6 }, { contrast: 0.45 }, { contrast: 0.3 }, { contrast: 0.2 }],
  moire: [{ moire: 10 }, { moire: 20 }, { moire: 35 }, { moire: 50 }],
};

/** mulberry32: small, fast, seedable; numbers in [0, 1). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Pt = [number, number];

/** Homography taking the unit square (0,0)(1,0)(1,1)(0,1) to the quad p0..p3 (Heckbert 1989). */
function squareToQuad(p: Pt[]): number[] {
  const [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = p;
  const dx1 = x1 - x2, dx2 = x3 - x2, dx3 = x0 - x1 + x2 - x3;
  const dy1 = y1 - y2, dy2 = y3 - y2, dy3 = y0 - y1 + y2 - y3;
  const den = dx1 * dy2 - dx2 * dy1;
  const g = (dx3 * dy2 - dx2 * dy3) / den;
  const h = (dx1 * dy3 - dx3 * dy1) / den;
  return [x1 - x0 + g * x1, x3 - x0 + h * x3, x0, y1 - y0 + g * y1, y3 - y0 + h * y3, y0, g, h, 1];
}

/** Inverse of a 3x3 matrix (adjugate / determinant). */
function invert(m: number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [A / det, -(b * i - c * h) / det, (b * f - c * e) / det, B / det, (a * i - c * g) / det, -(a * f - c * d) / det, C / det, -(a * h - b * g) / det, (a * e - b * d) / det];
}

/** Two passes of a box blur of radius r (fractional radii blend r and r+1). */
export function blur(src: Float32Array, w: number, h: number, radius: number): Float32Array {
  if (radius <= 0) return src;
  const r0 = Math.floor(radius);
  const frac = radius - r0;
  const pass = (a: Float32Array, r: number, horizontal: boolean): Float32Array => {
    if (r === 0) return a;
    const out = new Float32Array(a.length);
    const n = horizontal ? w : h;
    const lines = horizontal ? h : w;
    for (let l = 0; l < lines; l++) {
      const at = (k: number) => (horizontal ? a[l * w + Math.min(n - 1, Math.max(0, k))] : a[Math.min(n - 1, Math.max(0, k)) * w + l]);
      let sum = 0;
      for (let k = -r; k <= r; k++) sum += at(k);
      for (let k = 0; k < n; k++) {
        out[horizontal ? l * w + k : k * w + l] = sum / (2 * r + 1);
        sum += at(k + r + 1) - at(k - r);
      }
    }
    return out;
  };
  const run = (r: number) => {
    let a = src;
    for (let i = 0; i < 2; i++) a = pass(pass(a, r, true), r, false);
    return a;
  };
  const lo = run(r0);
  if (frac === 0) return lo;
  const hi = run(r0 + 1);
  const out = new Float32Array(src.length);
  for (let i = 0; i < out.length; i++) out[i] = lo[i] * (1 - frac) + hi[i] * frac;
  return out;
}

/** Separable gaussian blur of standard deviation `sigma` pixels (kernel to 3 sigma, edges clamped). */
export function gaussian(src: Float32Array, w: number, h: number, sigma: number): Float32Array {
  if (sigma <= 0) return src;
  const r = Math.ceil(3 * sigma);
  const k: number[] = [];
  for (let i = -r; i <= r; i++) k.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const sum = k.reduce((a, b) => a + b, 0);
  const kernel = k.map((v) => v / sum);
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += kernel[i + r] * src[y * w + Math.min(w - 1, Math.max(0, x + i))];
      tmp[y * w + x] = acc;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += kernel[i + r] * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x];
      out[y * w + x] = acc;
    }
  }
  return out;
}

export interface SynthOptions {
  width?: number;
  height?: number;
  seed?: number;
}

/** A grayscale frame of a phone showing `text` as a QR code (a blank screen for ""), degraded by `d`. */
export function synthFrame(text: string, d: Distortion, o: SynthOptions = {}): Frame {
  const W = o.width ?? 320;
  const H = o.height ?? 240;
  const rand = prng(o.seed ?? 1);
  const qr = d.bytes !== undefined
    ? QRCode.create([{ data: d.bytes, mode: "byte" }], { errorCorrectionLevel: "M" })
    : text === "" ? undefined : QRCode.create(text, { errorCorrectionLevel: "M" });
  const size = qr === undefined ? 21 : qr.modules.size;
  const quiet = 4;
  const cells = size + 2 * quiet;

  // Geometry: the phone screen (square, QR with its quiet zone) centred with a little jitter.
  const side = d.scale * H;
  let cx = W / 2 + (rand() - 0.5) * 0.1 * W;
  let cy = H / 2 + (rand() - 0.5) * 0.1 * H;
  const rot = ((d.rotation * (rand() < 0.5 ? -1 : 1)) * Math.PI) / 180;
  const tiltSide = Math.floor(rand() * 4); // which edge recedes
  const focal = (0.5 * W) / Math.tan(Math.PI / 6); // a 60-degree lens, in pixels
  const turn = ((d.tiltDeg ?? 0) * Math.PI) / 180;
  const corners: Pt[] = [[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]].map(([x, y], k) => {
    // The receding edge shrinks towards the centre line: a keystone.
    const onEdge = k === tiltSide || k === (tiltSide + 1) % 4;
    const s = onEdge ? 1 - d.tilt : 1;
    let px = x * side * (tiltSide % 2 === 0 ? s : 1);
    let py = y * side * (tiltSide % 2 === 1 ? s : 1);
    if (turn !== 0) {
      // Turned about the axis parallel to the receding edge, then seen through the lens.
      const across = tiltSide % 2 === 0 ? py : px;
      const z = across * Math.sin(turn) * (tiltSide === 0 || tiltSide === 3 ? -1 : 1); // that edge is farther
      const k2 = focal / (focal + z);
      if (tiltSide % 2 === 0) {
        py *= Math.cos(turn) * k2;
        px *= k2;
      } else {
        px *= Math.cos(turn) * k2;
        py *= k2;
      }
    }
    return [px * Math.cos(rot) - py * Math.sin(rot), px * Math.sin(rot) + py * Math.cos(rot)] as Pt;
  });
  if (d.edgeModules !== undefined) {
    // Moved towards one edge until the code's outermost corner is that many modules from it (the quiet zone cut).
    const edge = Math.floor(rand() * 4);
    const horizontal = edge % 2 === 0;
    const dir = edge < 2 ? -1 : 1;
    const h = squareToQuad(corners);
    const q = quiet / cells;
    const reach = Math.max(
      ...[[q, q], [1 - q, q], [1 - q, 1 - q], [q, 1 - q]].map(([u, v]) => {
        const z = h[6] * u + h[7] * v + h[8];
        return (dir * (horizontal ? h[0] * u + h[1] * v + h[2] : h[3] * u + h[4] * v + h[5])) / z;
      }),
    );
    const gap = reach + d.edgeModules * (side / cells);
    if (horizontal) cx = dir < 0 ? gap : W - gap;
    else cy = dir < 0 ? gap : H - gap;
  }
  for (const c of corners) {
    c[0] += cx;
    c[1] += cy;
  }
  const toScreen = invert(squareToQuad(corners));
  // The phone body: a dark border around the screen, same homography, wider square.
  const bodyMargin = 0.12;

  const room0 = 90 + rand() * 60; // room light level
  const white = 235;
  const black = white - (white - 30) * d.contrast; // washed-out screens lift the blacks
  const img = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const X = x + 0.5, Y = y + 0.5;
      const m = toScreen;
      const z = m[6] * X + m[7] * Y + m[8];
      const u = (m[0] * X + m[1] * Y + m[2]) / z;
      const v = (m[3] * X + m[4] * Y + m[5]) / z;
      let value: number;
      if (u >= 0 && u < 1 && v >= 0 && v < 1) {
        const c = Math.floor(u * cells) - quiet;
        const r = Math.floor(v * cells) - quiet;
        const dark = qr !== undefined && c >= 0 && r >= 0 && c < size && r < size && qr.modules.get(r, c) === 1;
        value = dark !== (d.inverted === true) ? black : white;
      } else if (u >= -bodyMargin && u < 1 + bodyMargin && v >= -bodyMargin * 1.6 && v < 1 + bodyMargin * 1.6) {
        value = 25; // the phone's bezel
      } else {
        value = room0 + (y / H) * 30 - (x / W) * 15; // a lit wall, a gentle gradient
      }
      img[y * W + x] = value;
    }
  }
  // Moire: interference of the screen's pixel grid with the sensor's.
  if (d.moire > 0) {
    const fx = 0.9 + rand() * 0.4, fy = 0.7 + rand() * 0.4, ph = rand() * 6.28;
    for (let i = 0; i < img.length; i++) {
      const x = i % W, y = Math.floor(i / W);
      img[i] += d.moire * Math.sin(fx * x * 0.35 + fy * y * 0.27 + ph);
    }
  }
  // Glare: a soft elliptical highlight somewhere over the screen.
  if (d.glare > 0) {
    const gx = cx + (rand() - 0.5) * side * 0.6, gy = cy + (rand() - 0.5) * side * 0.6;
    const rx = side * (0.2 + rand() * 0.2), ry = side * (0.1 + rand() * 0.15);
    for (let i = 0; i < img.length; i++) {
      const x = i % W, y = Math.floor(i / W);
      const q = ((x - gx) / rx) ** 2 + ((y - gy) / ry) ** 2;
      img[i] += 255 * d.glare * Math.exp(-q);
    }
  }
  const blurred = gaussian(blur(img, W, H, d.blur), W, H, d.blurSigma ?? 0);
  const luma = new Uint8Array(W * H);
  for (let i = 0; i < luma.length; i++) {
    let v = blurred[i];
    if (d.noise > 0) {
      // Box-Muller gaussian
      const n = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(6.283185307 * rand());
      v += n * d.noise;
    }
    luma[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
  }
  return { width: W, height: H, luma };
}

export function withDefaults(p: Partial<Distortion>): Distortion {
  return { ...CLEAN, ...p };
}

// `npx tsx sim/camera/synth.ts --out DIR [TEXT]` writes example frames per level to look at.
import { pathToFileURL } from "node:url";
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { mkdirSync, writeFileSync } = await import("node:fs");
  const { PNG } = await import("pngjs");
  const i = process.argv.indexOf("--out");
  const out = i > 0 ? process.argv[i + 1] : "sim-out/frames";
  const text = process.argv.find((a, k) => k > 1 && a.startsWith("PD1:")) ?? "PD1:" + "EXAMPLE 0123456789 ".repeat(12).trim();
  mkdirSync(out, { recursive: true });
  LEVELS.forEach((d, level) => {
    for (let seed = 1; seed <= 2; seed++) {
      const f = synthFrame(text, d, { seed, width: 640, height: 480 });
      const png = new PNG({ width: f.width, height: f.height });
      for (let p = 0; p < f.luma.length; p++) {
        png.data[4 * p] = png.data[4 * p + 1] = png.data[4 * p + 2] = f.luma[p];
        png.data[4 * p + 3] = 255;
      }
      writeFileSync(`${out}/level${level}-seed${seed}.png`, PNG.sync.write(png));
    }
  });
  console.log(`wrote ${LEVELS.length * 2} frames to ${out}/`);
}
