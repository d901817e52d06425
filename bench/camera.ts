// Camera decoders side by side on synthetic phone-screen frames
// (sim/camera/synth.ts, scenes.ts), fixed seeds: per decoder the decode rate,
// the wrong texts and the median ms per frame on the issue-11 targets, the
// distortion levels and sweeps, what each zxing pass adds, and frames without
// a code (a false verdict is any text the camera reader would pass on).
import { pathToFileURL } from "node:url";
import type { Frame, QrFrameDecoder } from "../firmware/hal/frame-source";
import { pickCode } from "../firmware/app/camera-reader";
import { decodeFrame, decoderNamed, DECODER_NAMES } from "../firmware/targets/node/camera-decoder";
import { PASSES, UNUSED_PASSES, loadZxing, zxingRead } from "../firmware/targets/node/zxing-decoder";
import { LEVELS, SWEEPS, synthFrame, withDefaults, type Distortion } from "../sim/camera/synth";
import { NO_CODE_KINDS, TARGET_ROWS, noCodeFrame, targetDistortion } from "../sim/camera/scenes";
import { makeKey, present } from "../test/support/fixtures";
import { table } from "./measure";

interface Tally {
  ok: number;
  wrong: number;
  /** Wall time per frame, and this process's CPU time (steadier on a shared machine). */
  ms: number[];
  cpuMs: number[];
}

const median = (a: number[]) => (a.length === 0 ? 0 : [...a].sort((x, y) => x - y)[a.length >> 1]);
const pct = (n: number, of: number) => `${Math.round((100 * n) / of)}%`;

async function tally(decoder: QrFrameDecoder, text: string, frames: Frame[]): Promise<Tally> {
  const t: Tally = { ok: 0, wrong: 0, ms: [], cpuMs: [] };
  for (const f of frames) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    const got = pickCode(await decodeFrame(decoder, f));
    t.ms.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    t.cpuMs.push((used.user + used.system) / 1000);
    if (got === text) t.ok++;
    else if (got !== undefined) t.wrong++;
  }
  return t;
}

function frames(text: string, d: (seed: number) => Distortion, n: number, width: number, height: number): Frame[] {
  const out: Frame[] = [];
  for (let seed = 1; seed <= n; seed++) out.push(synthFrame(text, d(seed), { seed, width, height }));
  return out;
}

export async function benchCamera(framesPerCell = 6, targetFrames = 20, noCodeFrames = 1000): Promise<void> {
  await loadZxing();
  const text = present(makeKey(["qr"]));
  const decoders = DECODER_NAMES.map(decoderNamed);
  // Warm both up (JIT, WebAssembly tiers) off the clock.
  const warm = frames(text, (s) => targetDistortion(text, { noise: 8 }, s), 10, 640, 480);
  for (const d of decoders) for (let i = 0; i < 3; i++) await tally(d, text, warm);

  for (const [w, h] of [[640, 480], [320, 240]]) {
    const rows: string[][] = [];
    for (const [name, row] of Object.entries(TARGET_ROWS)) {
      const set = frames(text, (s) => targetDistortion(text, row, s), targetFrames, w, h);
      const cells: string[] = [];
      for (const d of decoders) {
        const t = await tally(d, text, set);
        cells.push(pct(t.ok, set.length), String(t.wrong), median(t.ms).toFixed(1), median(t.cpuMs).toFixed(1));
      }
      rows.push([name, ...cells]);
    }
    table(
      `Camera targets at ${w}x${h}: a ${text.length}-character PD1: code at 30-50 % of the frame height (${(0.3 * h / 57).toFixed(1)}-${(0.5 * h / 57).toFixed(1)} px per module), ${targetFrames} frames per row (decoded, wrong, median ms per frame: wall, CPU)`,
      ["row", ...decoders.flatMap((d) => [d.name, "wrong", "ms", "cpu"])],
      rows,
    );
  }

  const sizes: Array<[number, number]> = [[320, 240], [640, 480]];
  const levelRows: string[][] = [];
  for (let i = 0; i < LEVELS.length; i++) {
    const cells: string[] = [];
    for (const [w, h] of sizes) {
      const set = frames(text, () => LEVELS[i], framesPerCell, w, h);
      for (const d of decoders) {
        const t = await tally(d, text, set);
        cells.push(pct(t.ok, set.length), median(t.ms).toFixed(1));
      }
    }
    levelRows.push([String(i), ...cells]);
  }
  table(
    `Distortion levels 0-4 (everything at once, growing), ${framesPerCell} frames per cell (decode rate, median ms)`,
    ["level", ...sizes.flatMap(([w, h]) => decoders.flatMap((d) => [`${w}x${h} ${d.name}`, "ms"]))],
    levelRows,
  );

  const sweepRows: string[][] = [];
  for (const [kind, steps] of Object.entries(SWEEPS)) {
    const cells: string[] = [];
    for (const p of steps) {
      const set = frames(text, () => withDefaults(p), framesPerCell, 640, 480);
      const rates: string[] = [];
      for (const d of decoders) rates.push(pct((await tally(d, text, set)).ok, set.length));
      cells.push(rates.join(" / "));
    }
    sweepRows.push([kind, steps.map((p) => Object.values(p)[0]).join(" / "), ...cells]);
  }
  table(
    `One distortion at a time, 640x480, ${framesPerCell} frames per cell (decode rate ${decoders.map((d) => d.name).join(" / ")} at each of four strengths)`,
    ["kind", "strengths", "1", "2", "3", "4"],
    sweepRows,
  );

  await benchPasses(text, targetFrames);
  await benchNoCode(decoders, noCodeFrames);
}

/** What each zxing pass reads that the plain decode does not (the passes run alone, no budget). */
export async function benchPasses(text: string, n: number): Promise<void> {
  const sets: Array<[string, Frame[]]> = [];
  for (const [w, h] of [[640, 480], [320, 240]]) {
    const hard: Array<[string, (s: number) => Distortion]> = [
      ...Object.entries(TARGET_ROWS).map(([k, row]): [string, (s: number) => Distortion] => [k, (s) => targetDistortion(text, row, s)]),
      ["level 3", () => LEVELS[3]],
      ["level 4", () => LEVELS[4]],
      ["contrast 0.3", (s) => targetDistortion(text, { contrast: 0.3 }, s)],
      ["noise 16, rotation 45", (s) => targetDistortion(text, { noise: 16, rotation: 45 }, s)],
      ["tilt 20, at the edge", (s) => targetDistortion(text, { tiltDeg: 20, edgeModules: 0 }, s)],
    ];
    sets.push([`${w}x${h}`, hard.flatMap(([, d]) => frames(text, d, Math.max(4, n >> 2), w, h))]);
  }
  const passes = [...PASSES, ...UNUSED_PASSES];
  const stats = passes.map(() => sets.map(() => ({ alone: 0, added: 0, ms: [] as number[] })));
  for (let k = 0; k < sets.length; k++) {
    for (const f of sets[k][1]) {
      const ok: boolean[] = [];
      for (let i = 0; i < passes.length; i++) {
        const p = passes[i];
        if (p.applies && !p.applies(f)) {
          ok.push(false);
          continue;
        }
        const t = performance.now();
        ok.push((await zxingRead(f, [p], 1e9)).texts.includes(text));
        stats[i][k].ms.push(performance.now() - t);
        if (ok[i]) stats[i][k].alone++;
      }
      // A pass in use adds what the passes before it missed; one not in use, what all of them missed.
      for (let i = 0; i < passes.length; i++) {
        const before = ok.slice(0, Math.min(i, PASSES.length));
        if (ok[i] && !before.includes(true)) stats[i][k].added++;
      }
    }
  }
  const rows = passes.map((p, i) => [
    p.name + (i < PASSES.length ? "" : " (not used)"),
    ...stats[i].flatMap((c) => (c.ms.length ? [String(c.alone), `+${c.added}`, median(c.ms).toFixed(1)] : ["-", "-", "-"])),
  ]);
  table(
    `zxing passes on ${sets[0][1].length} hard frames per size: decoded alone, added (in use: over the passes before it; not used: over all in use), median ms`,
    ["pass", ...sets.flatMap(([s]) => [`${s} alone`, "added", "ms"])],
    rows,
  );
}

/** Frames without a code: any text passed on would be a false verdict on the device. */
export async function benchNoCode(decoders: QrFrameDecoder[], n: number): Promise<void> {
  const rows: string[][] = [];
  for (const d of decoders) {
    let raw = 0, shown = 0, count = 0;
    const ms: number[] = [], cpuMs: number[] = [];
    const frames = d.name === "jsqr" ? Math.ceil(n / 5) : n; // jsQR spends ~300 ms on a frame of noise
    for (let i = 0; i < frames; i++) {
      const kind = NO_CODE_KINDS[i % NO_CODE_KINDS.length];
      const f = noCodeFrame(kind, 1 + Math.floor(i / NO_CODE_KINDS.length));
      const t = performance.now();
      const cpu = process.cpuUsage();
      const texts = await decodeFrame(d, f);
      ms.push(performance.now() - t);
      const used = process.cpuUsage(cpu);
      cpuMs.push((used.user + used.system) / 1000);
      count++;
      if (texts.length > 0) raw++;
      if (pickCode(texts) !== undefined) shown++;
    }
    rows.push([d.name, String(count), String(raw), String(shown), median(ms).toFixed(1), median(cpuMs).toFixed(1), Math.max(...ms).toFixed(0)]);
  }
  table(
    `Frames without a code at 640x480 (${NO_CODE_KINDS.join(", ")}, in turn; jsQR on the first fifth)`,
    ["decoder", "frames", "any result", "false verdicts", "median ms", "cpu", "max ms"],
    rows,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchCamera(Number(process.argv[2] ?? 6), Number(process.argv[3] ?? 20), Number(process.argv[4] ?? 1000));
}
