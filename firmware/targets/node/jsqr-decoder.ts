// QrFrameDecoder on Node (and Linux-class devices): jsQR on a luma frame.
import jsQR from "jsqr";
import type { Frame, QrFrameDecoder } from "../../hal/frame-source";

export function jsqrDecoder(): QrFrameDecoder {
  return {
    decode(frame: Frame): string | undefined {
      const n = frame.width * frame.height;
      if (frame.luma.length < n) return undefined;
      const rgba = new Uint8ClampedArray(n * 4);
      for (let i = 0; i < n; i++) {
        const v = frame.luma[i];
        rgba[4 * i] = v;
        rgba[4 * i + 1] = v;
        rgba[4 * i + 2] = v;
        rgba[4 * i + 3] = 255;
      }
      const r = jsQR(rgba, frame.width, frame.height, { inversionAttempts: "attemptBoth" });
      return r ? r.data : undefined;
    },
  };
}
