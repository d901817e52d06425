// QrFrameDecoder on Node (and Linux-class devices) with jsQR: the fallback
// where WebAssembly does not run, and the comparison in the bench. jsQR finds
// at most one code per frame and answers synchronously.
import jsQR from "jsqr";
import type { Frame, QrFrameDecoder } from "../../hal/frame-source";

/** The text of the code jsQR finds in `frame` (none: an empty list). */
export function jsqrTexts(frame: Frame): string[] {
  const n = frame.width * frame.height;
  if (!(n > 0) || frame.luma.length < n) return [];
  const rgba = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const v = frame.luma[i];
    rgba[4 * i] = v;
    rgba[4 * i + 1] = v;
    rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  try {
    const r = jsQR(rgba, frame.width, frame.height, { inversionAttempts: "attemptBoth" });
    return r ? [r.data] : [];
  } catch {
    return []; // a decoder never throws (frame-source.ts)
  }
}

export function jsqrDecoder(): QrFrameDecoder {
  return {
    name: "jsqr",
    decode(frame, done) {
      done(jsqrTexts(frame));
    },
  };
}
