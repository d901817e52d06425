// The camera path: synthetic phone-screen frames at each distortion level
// decode (zxing, the default, and jsQR, the fallback) and verify end to end;
// files and folders load as frames.
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import { jsqrDecoder } from "../firmware/targets/node/jsqr-decoder";
import { cameraDecoder, decodeFrame } from "../firmware/targets/node/camera-decoder";
import { verifyPresentation } from "../firmware/core/presentation";
import { ReplayCache } from "../firmware/core/replay";
import { base45Decode, base45Encode } from "../firmware/core/base45";
import { LEVELS, synthFrame } from "../sim/camera/synth";
import { FramePlayer, frameFromFile, framesFrom } from "../sim/camera/frames";
import { SimDevice } from "../sim/device";
import { HOLDER, makeWorld } from "../sim/world";
import { issuePresentation } from "../host/issuer/issuer";
import { T0, keysetOf, makeKey, present } from "./support/fixtures";

const root = makeKey(["root"]);
const issuer = makeKey(["qr"]);
const ks = keysetOf(root, [issuer]);
const jsqr = jsqrDecoder();
const zxing = cameraDecoder();
const one = async (d: typeof jsqr, f: Parameters<typeof decodeFrame>[1]) => (await decodeFrame(d, f))[0];
const verify = (text: string) => verifyPresentation(text, ks, { now: T0 + 5, trusted: true }, new ReplayCache(4)).verdict;

function toPng(f: { width: number; height: number; luma: Uint8Array }): Buffer {
  const png = new PNG({ width: f.width, height: f.height });
  for (let i = 0; i < f.luma.length; i++) {
    png.data[4 * i] = png.data[4 * i + 1] = png.data[4 * i + 2] = f.luma[i];
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}

describe("synthetic camera frames", () => {
  const text = present(issuer);
  for (const level of [0, 1, 2]) {
    // The key (so the code) is new on each run: jsQR, the fallback, misses the odd level-2 frame.
    it(`level ${level} (640x480): every frame decodes (zxing${level < 2 ? " and jsQR" : ""}) and verifies OK`, async () => {
      for (let seed = 1; seed <= 3; seed++) {
        const frame = synthFrame(text, LEVELS[level], { seed, width: 640, height: 480 });
        const got = await one(zxing, frame);
        expect(got, `zxing seed ${seed}`).toBe(text);
        expect(verify(got!)).toBe("OK");
        const fallback = await one(jsqr, frame);
        if (level < 2 || fallback !== undefined) expect(fallback, `jsqr seed ${seed}`).toBe(text);
      }
    });
  }

  it("frames are reproducible from their seed and differ between seeds", () => {
    const a = synthFrame(text, LEVELS[2], { seed: 5 });
    const b = synthFrame(text, LEVELS[2], { seed: 5 });
    const c = synthFrame(text, LEVELS[2], { seed: 6 });
    expect(Buffer.from(a.luma).equals(Buffer.from(b.luma))).toBe(true);
    expect(Buffer.from(a.luma).equals(Buffer.from(c.luma))).toBe(false);
  });

  it("a frame without a QR gives nothing; a tampered code decodes but is BAD_SIGNATURE", async () => {
    const grey = { width: 320, height: 240, luma: new Uint8Array(320 * 240).fill(128) };
    expect(await decodeFrame(zxing, grey)).toEqual([]);
    expect(await decodeFrame(jsqr, grey)).toEqual([]);
    const raw = base45Decode(text.slice(4));
    if (!raw.ok) throw new Error("decode");
    raw.bytes[raw.bytes.length - 2] ^= 4;
    const forged = "PD1:" + base45Encode(raw.bytes);
    const got = await one(zxing, synthFrame(forged, LEVELS[1], { seed: 1, width: 640, height: 480 }));
    expect(got).toBe(forged);
    expect(verify(got!)).toBe("BAD_SIGNATURE");
  });
});

describe("frames from files", () => {
  const dir = mkdtempSync(join(tmpdir(), "pindai-frames-"));
  const frame = synthFrame(present(issuer), LEVELS[1], { seed: 2, width: 640, height: 480 });

  it("PNG and JPEG files load as frames of the right size and decode", async () => {
    writeFileSync(join(dir, "a.png"), toPng(frame));
    const rgba = PNG.sync.read(toPng(frame)).data;
    writeFileSync(join(dir, "b.jpg"), jpeg.encode({ data: rgba, width: 640, height: 480 }, 90).data);
    writeFileSync(join(dir, "notes.txt"), "not a frame");
    const frames = framesFrom(dir);
    expect(frames.map((f) => [f.width, f.height])).toEqual([[640, 480], [640, 480]]);
    for (const f of frames) expect(verify((await one(zxing, f))!)).toBe("OK");
  });

  it("an oversized image or a non-image is refused with a clear error", () => {
    const big = new PNG({ width: 2000, height: 1200 });
    writeFileSync(join(dir, "big.png"), PNG.sync.write(big));
    expect(() => frameFromFile(join(dir, "big.png"))).toThrow(/larger than a camera frame/);
    expect(() => frameFromFile(join(dir, "notes.txt"))).toThrow(/not a PNG or JPEG/);
  });

  it("a folder played as a camera feeds the device app, which shows one verdict", async () => {
    const world = makeWorld(T0);
    const d = new SimDevice({ roots: world.roots, buildTime: T0 - 86400, version: "t", lang: "en", clearAfterMs: 60_000 });
    d.provision(world, T0);
    const code = issuePresentation(world.qrSigner, HOLDER, { iat: T0 });
    const frames = [0, 1, 1, 2].map((lvl, i) => synthFrame(code, LEVELS[lvl], { seed: i + 1, width: 640, height: 480 }));
    const player = new FramePlayer([synthFrame("", LEVELS[0], { seed: 9 }), ...frames], 50);
    d.connectCamera(player, zxing);
    await player.play();
    expect(d.screen.color).toBe("green");
    expect(d.app.audit.entries().filter((e) => e.source === 0)).toHaveLength(1); // the same code in four frames: one verdict
  });
});
