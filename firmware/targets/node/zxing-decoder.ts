// QrFrameDecoder on Node (the simulator, `pindai verify --image`, Linux-class
// devices) with zxing-cpp compiled to WebAssembly (the zxing-wasm package).
// The .wasm ships inside the package and is read from node_modules: nothing
// is fetched (the package's default would load it from a CDN).
//
// A frame is tried in passes, cheapest first, until one finds a code or the
// frame's time budget is spent (see PASSES: each earns its place in the
// camera bench, `npm run bench`).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { prepareZXingModule, readBarcodes, type ReaderOptions, type ReadResult } from "zxing-wasm/reader";
import type { Frame, QrFrameDecoder } from "../../hal/frame-source";
import { doubleFrame, halveFrame, padFrame } from "./frame-prep";

export interface Pass {
  name: string;
  /** Where the pass can help at all (a halved 320x240 frame has modules under a pixel). */
  applies?: (f: Frame) => boolean;
  prep?: (f: Frame) => Frame;
  options?: ReaderOptions;
}

// Inverted codes (a phone in dark mode) cost a second search: the first pass
// leaves it out, every later pass has it.
// textMode Plain: the text exactly as encoded (the default, HRI, writes control characters as "<SOH>").
const BASE: ReaderOptions = { formats: ["QRCode"], tryHarder: true, tryRotate: false, tryInvert: true, tryDownscale: true, maxNumberOfSymbols: 4, textMode: "Plain" };

/** The passes, cheapest first, each kept because the bench showed it reads frames the plain one misses. */
export const PASSES: Pass[] = [
  { name: "plain", options: { tryInvert: false } },
  // Low contrast with small modules: one threshold for the whole frame instead of one per 8x8 block.
  { name: "global-histogram", options: { binarizer: "GlobalHistogram" } },
  // Modules under ~2.5 pixels (320x240 frames, low contrast): room for the local binariser's 8x8 blocks.
  // Not for photos: a large frame's codes are large enough, and four times its pixels cost too much.
  { name: "doubled", applies: (f) => f.width * f.height <= 1024 * 768, prep: doubleFrame },
];

/** Measured in the bench but not used: on the project's frames none read a code the passes above miss. */
export const UNUSED_PASSES: Pass[] = [
  { name: "padded", prep: (f) => padFrame(f, Math.round(0.1 * Math.min(f.width, f.height))) },
  { name: "halved", applies: (f) => Math.min(f.width, f.height) >= 400, prep: halveFrame },
];

/**
 * Per live frame: a pass starts only if it should end within this many ms
 * (the estimate is its last ms per pixel on this machine), so a slow device
 * skips the expensive passes by itself: the frame period of a 10 fps camera.
 * Only a device's live frames have it (a next frame is coming); a photo read
 * offline (pindai scan, verify --image) tries every pass, so its result never
 * depends on the machine's load.
 */
export const FRAME_BUDGET_MS = 100;

/** No budget: every pass that applies runs. */
export const NO_BUDGET = Infinity;

let loading: Promise<void> | undefined;

/** Loads the WebAssembly module once, from the package's own file. Rejects where WebAssembly does not run. */
export function loadZxing(): Promise<void> {
  if (loading === undefined) {
    loading = (async () => {
      if (typeof (globalThis as { WebAssembly?: unknown }).WebAssembly !== "object") throw new Error("no WebAssembly in this runtime");
      const file = createRequire(import.meta.url).resolve("zxing-wasm/reader/zxing_reader.wasm");
      const bin = readFileSync(file);
      const wasmBinary = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
      await prepareZXingModule({ overrides: { wasmBinary }, fireImmediately: true });
    })();
    loading.catch(() => {}); // the caller sees the rejection; no unhandled one here
  }
  return loading;
}

/**
 * A QR code's text exactly as encoded, or undefined for a result that is not
 * text: zxing calls any code with a control character "Binary", but bytes
 * that decode as text are text (a device still refuses to show control
 * characters: app/camera-reader.ts); bytes that do not are not.
 */
function textOf(r: ReadResult): string | undefined {
  if (!r.isValid || r.format !== "QRCode") return undefined;
  if (r.contentType !== "Binary") return r.text;
  try {
    return r.bytes.length === 0 ? undefined : UTF8.decode(r.bytes);
  } catch {
    return undefined; // not UTF-8: binary data, not a text
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const GREY = LITTLE_ENDIAN ? 0x010101 : 0x01010100;
const ALPHA = LITTLE_ENDIAN ? 0xff000000 : 0xff;

async function readFrame(f: Frame, options: ReaderOptions): Promise<string[]> {
  const n = f.width * f.height;
  const data = new Uint8ClampedArray(4 * n);
  const px = new Uint32Array(data.buffer); // one write per pixel: grey in R, G, B, opaque
  for (let i = 0; i < n; i++) px[i] = (ALPHA | (f.luma[i] * GREY)) >>> 0;
  // zxing-wasm takes anything shaped like a DOM ImageData.
  const image = { width: f.width, height: f.height, data, colorSpace: "srgb" } as unknown as Parameters<typeof readBarcodes>[0];
  const results = await readBarcodes(image, { ...BASE, ...options });
  const texts: string[] = [];
  for (const r of results) {
    const t = textOf(r);
    if (t !== undefined) texts.push(t);
  }
  return texts;
}

export interface ZxingAnswer {
  texts: string[];
  /** The pass that found them (undefined: none did). */
  pass?: string;
  passesTried: number;
}

/** ms per pixel each pass took last time (keyed by name), for the budget. */
const cost: Record<string, number> = {};

/** Every QR text zxing finds in `frame`, trying `passes` in order within `budgetMs`. */
export async function zxingRead(frame: Frame, passes: Pass[] = PASSES, budgetMs = NO_BUDGET): Promise<ZxingAnswer> {
  const n = frame.width * frame.height;
  if (!(n > 0) || frame.luma.length < n) return { texts: [], passesTried: 0 };
  await loadZxing();
  const start = performance.now();
  let tried = 0;
  for (const p of passes) {
    if (p.applies && !p.applies(frame)) continue;
    if (tried > 0 && performance.now() - start + (cost[p.name] ?? 0) * n > budgetMs) continue;
    // A pass runs to its end on this thread (3-40 ms at 640x480): between passes, serial data and timers go first.
    if (tried > 0) await new Promise((r) => setImmediate(r));
    tried++;
    const t = performance.now();
    const texts = await readFrame(p.prep ? p.prep(frame) : frame, p.options ?? {});
    const ms = performance.now() - t;
    cost[p.name] = cost[p.name] === undefined ? ms / n : 0.7 * cost[p.name] + (0.3 * ms) / n;
    if (texts.length > 0) return { texts, pass: p.name, passesTried: tried };
  }
  return { texts: [], passesTried: tried };
}

export function zxingDecoder(passes: Pass[] = PASSES, budgetMs = NO_BUDGET): QrFrameDecoder {
  return {
    name: "zxing",
    decode(frame, done) {
      zxingRead(frame, passes, budgetMs).then(
        (a) => done(a.texts),
        () => done([]),
      );
    },
  };
}
