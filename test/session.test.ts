// One scripted device session (scan-engine lines and PN532 traffic in;
// screens, LED/buzzer and audit log out) replayed on Node, in Lua and as the
// Espruino image: the transcripts must be identical.
import { beforeAll, describe, expect, it } from "vitest";
import { session, sessionWith } from "./conformance/session-entry";
import type { LuaRunner } from "./support/lua";
import { runtimeRunners } from "./support/runtimes";
import { Pn532Emulator } from "../sim/pn532/emulator";
import { HOLDER, makeWorld } from "../sim/world";
import { issuePresentation } from "../host/issuer/issuer";
import { base45Decode, base45Encode } from "../firmware/core/base45";
import { T0 } from "./support/fixtures";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const world = makeWorld(T0, 2, "session");
const kid = hex(world.roots[0].kid);
const pub = hex(world.roots[0].publicKey);
const code = issuePresentation(world.qrSigner, HOLDER, { iat: T0, cti: new Uint8Array(16).fill(7) });
const raw = base45Decode(code.slice(4));
if (!raw.ok) throw new Error("decode");
raw.bytes[raw.bytes.length - 1] ^= 1;
const forged = "PD1:" + base45Encode(raw.bytes);
const script = [
  "scan " + code, // no key set, no clock
  "wait 6000",
  `time ${T0}`,
  "keyset " + hex(world.keysetBytes),
  "scan " + code,
  "wait 6000",
  "scan " + code, // replay policy reject
  "wait 6000",
  "scan " + forged,
  "wait 6000",
  "scan not a code",
  "wait 6000",
  "card", // genuine
  "wait 6000",
  "card", // clone
  "wait 6000",
  "card", // no card at all
  "lang id",
  "scan " + code,
  "log",
].join(";");

// Record the PN532 conversation from the emulator on Node: genuine card, clone, then none.
const pairs: string[] = [];
const emulator = new Pn532Emulator(() => {}, {});
let taps = 0;
const transcriptNode = sessionWith(kid, pub, script, (w) => {
  if (w[0] === 0x55) return undefined; // wake-up preamble
  const isInList = w.length > 6 && w[5] === 0xd4 && w[6] === 0x4a;
  if (isInList) {
    emulator.tap(taps === 0 ? world.cards.genuine : taps === 1 ? world.cards.clone : undefined);
    taps++;
  }
  const chunks: Uint8Array[] = [];
  (emulator as unknown as { sendRaw: (b: Uint8Array) => void }).sendRaw = (b) => chunks.push(b);
  emulator.receive(w);
  const reply = Buffer.concat(chunks);
  pairs.push(hex(w) + "=" + reply.toString("hex"));
  return new Uint8Array(reply);
});
// Different taps give different replies to the same frame: keep the conversation in order.
const conversation = pairs.join(";");

describe("scripted device session", () => {
  it("on Node, the transcript shows every step", () => {
    const lines = transcriptNode.split("\n");
    // Verdict screens: not idle (its device time) nor Checking; each line ends with its frame's digest (" @ops.hash").
    const screens = lines.filter((l) => l.startsWith("screen ") && !l.includes("Device time:") && !l.includes("Jam alat:") && !l.includes("Checking")).map((l) => l.replace(/ @\d+\.\d+$/, ""));
    expect(lines.filter((l) => l.startsWith("screen ")).every((l) => / @\d+\.\d+$/.test(l))).toBe(true);
    expect(screens.map((l) => l.split(" | ")[0] + (l.includes("|") ? " | " + l.split(" | ")[1] : ""))).toEqual([
      "screen amber NOT READY | Call administrator",
      "screen green VALID | Name: Siti Aminah",
      "screen red REJECTED | Code already used: ask for a fresh code",
      "screen red REJECTED | Forged signature or altered code",
      "screen red REJECTED | Not a pindai ID code",
      "screen green VALID | Name: Siti Aminah",
      "screen red REJECTED | Card is not genuine (a copy)",
      "screen red DITOLAK | Kode ini sudah dipakai, minta kode baru",
    ]);
    expect(lines.filter((l) => l.startsWith("log "))).toHaveLength(9); // 8 verdicts and the time setting
    expect(lines).toContain("keyset INSTALLED 1");
  });

  it("replaying the recorded PN532 traffic on Node gives the same transcript", () => {
    expect(session(kid, pub, script, conversation)).toBe(transcriptNode);
  });
});

const runners = runtimeRunners("test/conformance/session-entry.ts");

for (const [name, make] of runners) {
  describe(`the same session on ${name}`, () => {
    let runner: LuaRunner | undefined;
    beforeAll(async () => {
      runner = await make();
    }, 120_000);
    it("gives the identical transcript", async (ctx) => {
      if (runner === undefined) return ctx.skip();
      const [got] = await runner.callMany([["sessionLines", kid, pub, script, conversation]]);
      expect(got.split(" || ")).toEqual(transcriptNode.split("\n"));
    }, 300_000);
  });
}
