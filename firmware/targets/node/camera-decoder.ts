// The camera decoder for Node and Linux-class devices: zxing (WebAssembly)
// where it runs, jsQR where it does not or where its module fails to load.
import type { Frame, QrFrameDecoder } from "../../hal/frame-source";
import { jsqrDecoder } from "./jsqr-decoder";
import { NO_BUDGET, PASSES, loadZxing, zxingDecoder } from "./zxing-decoder";

export type DecoderName = "zxing" | "jsqr";
export const DECODER_NAMES: DecoderName[] = ["zxing", "jsqr"];

/**
 * zxing, falling back to jsQR for good (once, with `onFallback`) if WebAssembly
 * or the module is missing. `budgetMs` per frame only for a device's live
 * frames (FRAME_BUDGET_MS); offline, every pass runs (the default).
 */
export function cameraDecoder(onFallback: (reason: string) => void = () => {}, budgetMs = NO_BUDGET): QrFrameDecoder {
  const jsqr = jsqrDecoder();
  const zxing = zxingDecoder(PASSES, budgetMs);
  let fallback = false;
  const fall = (reason: string) => {
    if (fallback) return;
    fallback = true;
    decoder.name = jsqr.name;
    onFallback(reason);
  };
  const decoder: QrFrameDecoder = {
    name: zxing.name,
    decode(frame, done) {
      if (fallback) return jsqr.decode(frame, done);
      loadZxing().then(
        () => zxing.decode(frame, done),
        (e: Error) => {
          fall(e.message);
          jsqr.decode(frame, done);
        },
      );
    },
  };
  return decoder;
}

/** One decoder by name ("zxing" without the fallback: for comparisons). */
export function decoderNamed(name: DecoderName): QrFrameDecoder {
  return name === "jsqr" ? jsqrDecoder() : zxingDecoder();
}

/** The decoder's answer for one frame, as a promise (host tools and tests). */
export function decodeFrame(decoder: QrFrameDecoder, frame: Frame): Promise<string[]> {
  return new Promise((resolve) => decoder.decode(frame, resolve));
}
