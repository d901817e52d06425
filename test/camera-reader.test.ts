// The portable camera reader (firmware/app/camera-reader.ts) between frames
// and the app: the pindai code out of several, no verdict from an empty or
// non-text result, one frame at a time, and a decoder that never answers;
// the same calls on Node, Lua and the Espruino image (portable code).
import { beforeAll, describe, expect, it } from "vitest";
import * as entry from "./conformance/camera-entry";
import { runtimeRunners } from "./support/runtimes";
import type { LuaRunner } from "./support/lua";
import type { Frame, FrameSource, QrFrameDecoder } from "../firmware/hal/frame-source";
import { cameraReader, isShowableText, pickCode } from "../firmware/app/camera-reader";
import { cameraDecoder } from "../firmware/targets/node/camera-decoder";
import { nodeTimers } from "../firmware/targets/node/timers";
import { synthFrame, withDefaults } from "../sim/camera/synth";
import { twoCodesFrame } from "../sim/camera/scenes";
import { SimDevice } from "../sim/device";
import { HOLDER, makeWorld } from "../sim/world";
import { issuePresentation } from "../host/issuer/issuer";
import { T0 } from "./support/fixtures";

/** A camera the test drives frame by frame. */
function handCamera(): FrameSource & { show(f: Frame): void } {
  let handler: ((f: Frame) => void) | undefined;
  return { onFrame: (h) => (handler = h), close: () => {}, show: (f) => handler?.(f) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const grey: Frame = { width: 8, height: 8, luma: new Uint8Array(64).fill(128) };

describe("which text is passed on", () => {
  it("only printable, non-empty, not overlong text", () => {
    expect(isShowableText("PD1:ABC")).toBe(true);
    expect(isShowableText("https://example.org/ä")).toBe(true);
    for (const t of ["", "PD1:\u0000AB", "a\nb", "\u007f", "ab\ufffd", "A".repeat(4401)]) expect(isShowableText(t), JSON.stringify(t)).toBe(false);
  });

  it("the pindai code first, else the first showable text, else nothing", () => {
    expect(pickCode(["HTTPS://X", "PD1:A", "PD1:B"])).toBe("PD1:A");
    expect(pickCode(["", "\u0001", "HTTPS://X"])).toBe("HTTPS://X");
    expect(pickCode(["", "PD1:\u0000"])).toBeUndefined();
    expect(pickCode([])).toBeUndefined();
  });
});

describe("cameraReader", () => {
  it("decodes one frame at a time: a frame arriving during a decode is dropped", async () => {
    const cam = handCamera();
    const seen: string[] = [];
    const reader = cameraReader(cam, cameraDecoder(), nodeTimers(), (t) => seen.push(t), 2000);
    const frame = synthFrame("PD1:FIRST", withDefaults({ scale: 0.5 }), { seed: 1, width: 320, height: 240 });
    cam.show(frame);
    cam.show(synthFrame("PD1:SECOND", withDefaults({ scale: 0.5 }), { seed: 1, width: 320, height: 240 }));
    while (seen.length === 0) await sleep(5);
    expect(seen).toEqual(["PD1:FIRST"]);
    expect(reader.stats).toEqual({ frames: 2, dropped: 1, timedOut: 0 });
    cam.show(frame);
    while (seen.length === 1) await sleep(5);
    expect(reader.stats.dropped).toBe(1);
  });

  it("a decode that never answers is given up after the timeout; its late answer is ignored", async () => {
    const cam = handCamera();
    const seen: string[] = [];
    const pending: Array<(t: string[]) => void> = [];
    const stuck: QrFrameDecoder = { name: "stuck", decode: (_f, done) => void pending.push(done) };
    const reader = cameraReader(cam, stuck, nodeTimers(), (t) => seen.push(t), 30);
    cam.show(grey);
    cam.show(grey); // dropped: the first is still running
    await sleep(80);
    expect(reader.stats).toEqual({ frames: 2, dropped: 1, timedOut: 1 });
    cam.show(grey); // taken again after the timeout
    expect(pending).toHaveLength(2);
    pending[0](["PD1:LATE"]);
    pending[1](["PD1:ON TIME"]);
    pending[1](["PD1:TWICE"]);
    expect(seen).toEqual(["PD1:ON TIME"]);
  });

  it("after close no code is passed on", async () => {
    const cam = handCamera();
    const seen: string[] = [];
    const pending: Array<(t: string[]) => void> = [];
    const reader = cameraReader(cam, { name: "slow", decode: (_f, done) => void pending.push(done) }, nodeTimers(), (t) => seen.push(t), 1000);
    cam.show(grey);
    reader.close();
    pending[0](["PD1:X"]);
    cam.show(grey);
    expect(seen).toEqual([]);
    expect(pending).toHaveLength(1);
  });
});

describe("the device with a camera", () => {
  const world = makeWorld(T0);
  const device = () => {
    const d = new SimDevice({ roots: world.roots, buildTime: T0 - 86400, version: "t", lang: "en", clearAfterMs: 60_000 });
    d.provision(world, T0);
    return d;
  };

  it("a phantom (an empty text, as jsQR once read in noise) or a binary result is no verdict and no log record", async () => {
    const d = device();
    const idle = d.screen;
    const cam = handCamera();
    const answers = [[""], ["\u0000\u0001\u0002"], ["   \ufffd"]];
    d.connectCamera(cam, { name: "phantom", decode: (_f, done) => done(answers.shift() ?? []) });
    for (let i = 0; i < 4; i++) cam.show(grey);
    expect(d.screen).toBe(idle);
    expect(d.app.audit.entries().filter((e) => e.source === 0)).toHaveLength(0); // (the provisioning's signed TIME is the only record)
  });

  it("a frame with a URL code beside the holder's code: the holder's, green", async () => {
    const d = device();
    const code = issuePresentation(world.qrSigner, HOLDER, { iat: T0 });
    const cam = handCamera();
    d.connectCamera(cam, cameraDecoder());
    cam.show(twoCodesFrame("HTTPS://EXAMPLE.ORG/POSTER", code, withDefaults({ scale: 0.5, tiltDeg: 10 }), 3));
    const scans = () => d.app.audit.entries().filter((e) => e.source === 0);
    while (scans().length === 0) await sleep(5);
    expect(d.screen.color).toBe("green");
    expect(scans()).toHaveLength(1);
  });
});

const hex = (...t: string[]) => t.map((x) => Buffer.from(x, "utf8").toString("hex")).join(",");
const calls: Array<[string, string]> = [
  ["pick", hex("HTTPS://X", "PD1:A", "PD1:B")],
  ["pick", hex("", "\u0001", "HTTPS://X")],
  ["pick", hex("", "PD1:\u0000")],
  ["pick", ""],
  ["pick", hex("Caf\u00e9 \u4e2d")],
  ["readerTrace", `f f a0=${hex("HTTPS://X", "PD1:Q")} f a1=`],
  ["readerTrace", `f t f a0=${hex("PD1:LATE")} a1=${hex("PD1:OK")} a1=${hex("PD1:TWICE")}`],
  ["readerTrace", `f a0=${hex("")} f a1=${hex("\u0000")} f c a2=${hex("PD1:X")} f`],
];
const fns = entry as unknown as Record<string, (a: string) => string>;
const onNode = calls.map(([fn, a]) => fns[fn](a));

describe("camera reader on every runtime", () => {
  it("Node answers", () => {
    const h = (t: string) => Buffer.from(t, "utf8").toString("hex");
    expect(onNode).toEqual([
      h("PD1:A"), h("HTTPS://X"), "none", "none", h("Caf\u00e9 \u4e2d"),
      `${h("PD1:Q")}|3/1/0`,
      `${h("PD1:OK")}|2/0/1`,
      "|4/0/0",
    ]);
  });
  for (const [runtime, make] of runtimeRunners("test/conformance/camera-entry.ts")) {
    describe(runtime, () => {
      let runner: LuaRunner | undefined;
      beforeAll(async () => {
        runner = await make();
      }, 120_000);
      it("answers as Node", async (ctx) => {
        if (runner === undefined) return ctx.skip();
        expect(await runner.callMany(calls)).toEqual(onNode);
        runner.close();
      }, 300_000);
    });
  }
});
