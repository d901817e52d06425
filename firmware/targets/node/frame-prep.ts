// Frame preprocessing for the camera decoders: each step makes a new frame,
// and each is kept only because the camera bench showed it reads frames the
// plain decode misses (see zxing-decoder.ts for the order and the budget).
import type { Frame } from "../../hal/frame-source";

/** The frame inside a border of `pad` pixels of its own median grey: a code cut by the frame edge keeps a quiet zone. */
export function padFrame(f: Frame, pad: number): Frame {
  const width = f.width + 2 * pad, height = f.height + 2 * pad;
  const luma = new Uint8Array(width * height).fill(medianLuma(f));
  for (let y = 0; y < f.height; y++) {
    for (let x = 0; x < f.width; x++) luma[(y + pad) * width + x + pad] = f.luma[y * f.width + x];
  }
  return { width, height, luma };
}

/** Half the size, each pixel the mean of 2x2: sensor noise averages out where modules are 3 pixels or more. */
export function halveFrame(f: Frame): Frame {
  const width = f.width >>> 1, height = f.height >>> 1;
  const luma = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const a = 2 * y * f.width, b = a + f.width;
    for (let x = 0; x < width; x++) {
      luma[y * width + x] = (f.luma[a + 2 * x] + f.luma[a + 2 * x + 1] + f.luma[b + 2 * x] + f.luma[b + 2 * x + 1] + 2) >>> 2;
    }
  }
  return { width, height, luma };
}

/** Twice the size, bilinear: small codes (under 2 pixels per module) get room for the binariser's window. */
export function doubleFrame(f: Frame): Frame {
  const width = f.width * 2, height = f.height * 2;
  const luma = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.max(0, (y - 0.5) / 2), y0 = Math.min(f.height - 1, Math.floor(sy)), y1 = Math.min(f.height - 1, y0 + 1), fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.max(0, (x - 0.5) / 2), x0 = Math.min(f.width - 1, Math.floor(sx)), x1 = Math.min(f.width - 1, x0 + 1), fx = sx - x0;
      const top = f.luma[y0 * f.width + x0] * (1 - fx) + f.luma[y0 * f.width + x1] * fx;
      const bottom = f.luma[y1 * f.width + x0] * (1 - fx) + f.luma[y1 * f.width + x1] * fx;
      luma[y * width + x] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return { width, height, luma };
}

/** The median grey level (a histogram: one pass, no sort). */
export function medianLuma(f: Frame): number {
  const hist = new Uint32Array(256);
  const n = f.width * f.height;
  for (let i = 0; i < n; i++) hist[f.luma[i]]++;
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += hist[v];
    if (2 * seen >= n) return v;
  }
  return 128;
}
