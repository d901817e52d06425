// jsQR on synthetic camera frames (sim/camera/synth.ts): decode rate and ms
// per frame, by distortion level and by kind of distortion, fixed seeds.
import { pathToFileURL } from "node:url";
import { jsqrDecoder } from "../firmware/targets/node/jsqr-decoder";
import { LEVELS, SWEEPS, synthFrame, withDefaults, type Distortion } from "../sim/camera/synth";
import { makeKey, present } from "../test/support/fixtures";
import { table } from "./measure";

function cell(text: string, d: Distortion, frames: number, width: number, height: number): [string, string] {
  const dec = jsqrDecoder();
  let ok = 0;
  let ms = 0;
  for (let seed = 1; seed <= frames; seed++) {
    const f = synthFrame(text, d, { seed, width, height });
    const t = performance.now();
    if (dec.decode(f) === text) ok++;
    ms += performance.now() - t;
  }
  return [`${Math.round((100 * ok) / frames)}%`, (ms / frames).toFixed(1)];
}

export function benchCamera(framesPerCell = 6): void {
  const text = present(makeKey(["qr"]));
  const sizes: Array<[number, number]> = [[320, 240], [640, 480]];
  table(
    `jsQR on synthetic phone-screen frames, ${text.length}-character PD1: code, ${framesPerCell} frames per cell (decode rate, ms per frame)`,
    ["level", ...sizes.flatMap(([w, h]) => [`${w}x${h} rate`, "ms"])],
    LEVELS.map((d, i) => [String(i), ...sizes.flatMap(([w, h]) => cell(text, d, framesPerCell, w, h))]),
  );
  const kinds = Object.keys(SWEEPS);
  table(
    "one distortion at a time, 640x480 (decode rate at each of four strengths)",
    ["kind", "strengths", "1", "2", "3", "4"],
    kinds.map((k) => [
      k,
      SWEEPS[k].map((p) => Object.values(p)[0]).join(" / "),
      ...SWEEPS[k].map((p) => cell(text, withDefaults(p), framesPerCell, 640, 480)[0]),
    ]),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) benchCamera(Number(process.argv[2] ?? 6));
