// Entry compiled for every runtime by test/camera-reader.test.ts: the portable
// camera reader (firmware/app/camera-reader.ts), strings in and out.
import { fromHex, toHex, utf8Decode, utf8Encode } from "../../firmware/core/bytes";
import { cameraReader, pickCode } from "../../firmware/app/camera-reader";
import type { Frame, FrameSource, QrFrameDecoder } from "../../firmware/hal/frame-source";
import type { Timers } from "../../firmware/hal/timers";

function texts(hexList: string): string[] {
  const out: string[] = [];
  if (hexList === "") return out;
  const parts = hexList.split(",");
  for (let i = 0; i < parts.length; i++) {
    const b = fromHex(parts[i]);
    const s = b === undefined ? undefined : utf8Decode(b);
    out.push(s === undefined ? "" : s);
  }
  return out;
}

/** The code taken from a frame's texts (comma-separated UTF-8 hex): its hex, or "none". */
export function pick(hexList: string): string {
  const t = pickCode(texts(hexList));
  return t === undefined ? "none" : toHex(utf8Encode(t));
}

/**
 * Drives a camera reader by a script of space-separated steps: "f" a frame,
 * "aN=HEX,HEX" decode N answers, "t" the timeout fires, "c" close. Returns the
 * codes passed on (hex) and the stats.
 */
export function readerTrace(script: string): string {
  const camera: { onFrame: ((f: Frame) => void) | undefined } = { onFrame: undefined };
  const source: FrameSource = { onFrame: (h) => (camera.onFrame = h), close: () => {} };
  const answers: Array<(t: string[]) => void> = [];
  const decoder: QrFrameDecoder = { name: "script", decode: (_f, done) => void answers.push(done) };
  const clock: { alarm: (() => void) | undefined } = { alarm: undefined };
  const timers: Timers = {
    setTimeout: (fn) => {
      clock.alarm = fn;
      return 1;
    },
    clearTimeout: () => (clock.alarm = undefined),
    millis: () => 0,
  };
  const passed: string[] = [];
  const reader = cameraReader(source, decoder, timers, (t) => passed.push(toHex(utf8Encode(t))), 100);
  const frame: Frame = { width: 1, height: 1, luma: fromHex("80")! };
  const steps = script.split(" ");
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (s === "f" && camera.onFrame !== undefined) camera.onFrame(frame);
    else if (s === "t" && clock.alarm !== undefined) {
      const fire = clock.alarm;
      clock.alarm = undefined;
      fire();
    } else if (s === "c") reader.close();
    else if (s.substring(0, 1) === "a") {
      const eq = s.indexOf("=");
      answers[Number(s.substring(1, eq))](texts(s.substring(eq + 1)));
    }
  }
  const st = reader.stats;
  return passed.join(",") + "|" + st.frames + "/" + st.dropped + "/" + st.timedOut;
}
