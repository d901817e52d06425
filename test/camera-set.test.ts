// The committed camera frames (test/vectors/camera, made by
// sim/camera/make-vectors.ts): what the device's decoder takes from each one,
// the pindai code out of two, and nothing from a frame without a text code.
import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pickCode } from "../firmware/app/camera-reader";
import { cameraDecoder, decodeFrame } from "../firmware/targets/node/camera-decoder";
import { jsqrDecoder } from "../firmware/targets/node/jsqr-decoder";
import { PASSES, zxingRead } from "../firmware/targets/node/zxing-decoder";
import { frameFromFile } from "../sim/camera/frames";
import { makeVectors, type VectorEntry } from "../sim/camera/make-vectors";

const DIR = join(__dirname, "vectors/camera");
const manifest: VectorEntry[] = JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8"));

describe("committed camera frames", () => {
  it("the set has codes at 640x480 (one in dark mode) and 320x240, two codes, a binary code and frames without a code", () => {
    expect(manifest.length).toBe(18);
    expect(manifest.filter((e) => e.expect?.startsWith("PD1:")).length).toBe(12);
    expect(manifest.filter((e) => e.expect === null).length).toBe(5);
  });

  for (const e of manifest) {
    it(`zxing (the default): ${e.file}: ${e.what}`, async () => {
      const got = pickCode(await decodeFrame(cameraDecoder(), frameFromFile(join(DIR, e.file))));
      expect(got ?? null).toBe(e.expect);
    });
  }

  it("jsQR (the fallback) reads the plain ones and never gives a wrong text", async () => {
    const jsqr = jsqrDecoder();
    const read: string[] = [];
    for (const e of manifest) {
      const got = pickCode(await decodeFrame(jsqr, frameFromFile(join(DIR, e.file))));
      if (got !== undefined) {
        expect(got, e.file).toBe(e.expect);
        read.push(e.file);
      }
    }
    expect(read).toEqual(expect.arrayContaining(["code-640-pitch-only.png", "code-640-tilt-20-deg.png", "url-code.png"]));
  });

  it("zxing loads its WebAssembly from the package, without the network", () => {
    const script = [
      "globalThis.fetch = () => { throw new Error('the network was used'); };",
      "const m = await import('./firmware/targets/node/zxing-decoder.ts');",
      "const { frameFromFile } = await import('./sim/camera/frames.ts');",
      "console.log(JSON.stringify((await m.zxingRead(frameFromFile('test/vectors/camera/url-code.png'))).texts));",
    ].join("\n");
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: join(__dirname, ".."), encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe('["HTTPS://EXAMPLE.ORG/PINDAI"]\n');
  });

  it("zxing tries its passes in order within the frame's budget: all of them given time, only the first given none", async () => {
    const none = frameFromFile(join(DIR, "none-screen.png"));
    expect(await zxingRead(none, PASSES, 1e9)).toEqual({ texts: [], passesTried: PASSES.length });
    expect(await zxingRead(none, PASSES, 0)).toEqual({ texts: [], passesTried: 1 });
    const small = frameFromFile(join(DIR, "code-320-pitch-only.png"));
    const a = await zxingRead(small, PASSES, 1e9);
    expect(a.texts).toEqual([manifest.find((e) => e.file === "code-320-pitch-only.png")!.expect]);
    expect(a.pass).toBeDefined();
  });

  it("make-vectors makes the same files with the same expectations (frames without a code byte for byte)", () => {
    const dir = mkdtempSync(join(tmpdir(), "pindai-vectors-"));
    const made = makeVectors(dir);
    expect(made.map((e) => [e.file, e.expect === null, e.what])).toEqual(manifest.map((e) => [e.file, e.expect === null, e.what]));
    expect(readdirSync(dir).sort()).toEqual(readdirSync(DIR).sort());
    for (const f of manifest.filter((e) => e.file.startsWith("none-"))) {
      expect(readFileSync(join(dir, f.file)).equals(readFileSync(join(DIR, f.file))), f.file).toBe(true);
    }
  });
});
