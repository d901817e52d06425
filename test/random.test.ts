// The device's random bytes (issue 21, finding 1): a source must pass health
// tests at boot (app/checked-random.ts), a failing one is refused on the
// screen and the admin line, every output mixes a boot counter kept in flash,
// and Espruino for Linux reads the kernel's random device (its E.hwRand has a
// fixed seed: every such device had the same key, id aaa5c974cef8d597).
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevice, type DeviceHardware } from "../firmware/targets/device";
import { CheckedRandom, PROPORTION_CUTOFF, healthFailure } from "../firmware/app/checked-random";
import { ManualRtc, MemoryStorage, ScriptedSerial, SeededRandom, Transcript, VirtualTimers } from "../firmware/targets/memory/hal";
import type { Random } from "../firmware/hal/random";
import { nodeRandom } from "../firmware/targets/node/random";
import { build, type BuildResult } from "../host/build/build";
import { streamLink } from "../host/issuer/device-client";
import { makeWorld } from "../sim/world";
import { T0 } from "./support/fixtures";

const world = makeWorld(T0, 1);
const constant = (v: number): Random => ({ bytes: (n) => new Uint8Array(n).fill(v) });

/** A device on memory HALs with `random`, its admin line answering into `replies`. */
function boot(storage: MemoryStorage, random: Random) {
  const replies: string[] = [];
  const admin = new ScriptedSerial(() => undefined);
  admin.write = (d) => void replies.push(Buffer.from(d).toString("latin1").trim());
  const screen = new Transcript();
  const hw: DeviceHardware = { display: screen, indicator: screen, storage, rtc: new ManualRtc(), timers: new VirtualTimers(), random, admin };
  let error: Error | undefined;
  try {
    startDevice(hw, { app: { roots: world.roots, buildTime: T0 - 86400, version: "rnd", lang: "en", tables: false } });
  } catch (e) {
    error = e as Error;
  }
  const ask = (line: string) => {
    admin.feed(new Uint8Array(Buffer.from(line + "\n", "latin1")));
    return replies[replies.length - 1];
  };
  return { error, screen, ask };
}

describe("health tests (SP 800-90B style)", () => {
  it("a good source passes; stuck, repeating and biased ones fail", () => {
    expect(healthFailure(nodeRandom.bytes(512))).toBeUndefined();
    expect(healthFailure(new SeededRandom(3).bytes(512))).toBeUndefined();
    expect(healthFailure(constant(0).bytes(512))).toMatch(/repetition count/);
    const cycle = new Uint8Array(512).map((_, i) => (i % 16) * 17); // a 16-byte cycle
    expect(healthFailure(cycle)).toMatch(/stuck output/);
    const biased = nodeRandom.bytes(512).map((b, i) => (i % 7 === 0 ? 0x55 : b));
    biased[0] = 0x55;
    expect(healthFailure(biased)).toMatch(/adaptive proportion/);
    expect(PROPORTION_CUTOFF).toBe(62);
  });
});

describe("a failing source is refused, and says so", () => {
  it("a stuck source at boot: no device key is made, the screen and the admin line say why", () => {
    const storage = new MemoryStorage();
    const d = boot(storage, constant(0xa5));
    expect(d.error?.message).toMatch(/^RANDOM_FAILED repetition count/);
    expect(d.screen.lines[0]).toMatch(/^screen red RANDOM SOURCE FAILED \| repetition count/);
    expect(d.ask("ID")).toMatch(/^ERR RANDOM_FAILED/);
    expect(d.ask("NONCE")).toMatch(/^ERR RANDOM_FAILED/);
    expect(storage.read("device.key")).toBeUndefined();
  });

  it("a source that gets stuck after boot: the next nonce is refused, not made from it", () => {
    let stuck = false;
    const live = new SeededRandom(11);
    const d = boot(new MemoryStorage(), { bytes: (n) => (stuck ? new Uint8Array(n).fill(7) : live.bytes(n)) });
    expect(d.error).toBeUndefined();
    expect(d.ask("NONCE")).toMatch(/^OK [0-9a-f]{32}$/);
    stuck = true;
    expect(d.ask("NONCE")).toMatch(/^ERR INTERNAL .*RANDOM_FAILED/);
  });
});

describe("a fixed source (the same bytes after every boot)", () => {
  it("never gives the same nonce twice across reboots: a boot counter in flash is mixed in", () => {
    const storage = new MemoryStorage();
    const seen = new Set<string>();
    let id = "";
    for (let b = 0; b < 5; b++) {
      const d = boot(storage, new SeededRandom(42)); // the same stream every boot, as E.hwRand on Espruino for Linux
      expect(d.error).toBeUndefined();
      const nonce = d.ask("NONCE");
      expect(seen.has(nonce), `boot ${b}`).toBe(false);
      seen.add(nonce);
      if (b === 0) id = d.ask("ID");
      expect(d.ask("ID")).toBe(id);
    }
  });

  it("the counter write is checked: flash that does not keep it is refused", () => {
    const storage = new MemoryStorage();
    storage.write = () => {}; // writes are lost
    expect(new CheckedRandom(new SeededRandom(5), storage).failure).toBe("the boot counter does not stay in flash");
  });
});

const ESPRUINO = process.env.ESPRUINO;
if (!ESPRUINO) console.warn("\n*** SKIPPED: ESPRUINO is not set: the device key on a real Espruino for Linux was not checked ***\n");

describe.skipIf(!ESPRUINO)("Espruino for Linux (ESPRUINO names the binary)", () => {
  let image: BuildResult;
  /** Boot the image in `dir` (its flash file lives there), ask `lines` on its console (the admin line). */
  async function ask(dir: string, lines: string[]): Promise<string[]> {
    const proc = spawn(ESPRUINO!, [image.espruino], { cwd: dir, stdio: ["pipe", "pipe", "ignore"] });
    const killer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
    try {
      const dev = streamLink((t) => proc.stdin!.write(t), (fn) => proc.stdout!.on("data", fn), async () => {}, 30_000, "espruino");
      await new Promise((r) => setTimeout(r, 1000));
      const out: string[] = [];
      for (const l of lines) out.push(await dev.request(l));
      return out;
    } finally {
      clearTimeout(killer);
      proc.kill("SIGKILL");
      await new Promise((r) => (proc.exitCode !== null || proc.signalCode !== null ? r(0) : proc.on("exit", r)));
    }
  }

  it("two fresh flash folders make two device keys; a reboot keeps the key and gives a new nonce", async () => {
    image = await build({ roots: [Buffer.from(world.roots[0].publicKey).toString("hex")], version: "rnd" }, mkdtempSync(join(tmpdir(), "pindai-rnd-build-")), () => {});
    const a = mkdtempSync(join(tmpdir(), "pindai-rnd-a-"));
    const b = mkdtempSync(join(tmpdir(), "pindai-rnd-b-"));
    const [idA, nonceA] = await ask(a, ["ID", "NONCE"]);
    const [idB] = await ask(b, ["ID"]);
    const [idA2, nonceA2] = await ask(a, ["ID", "NONCE"]);
    expect(idA).toMatch(/^OK [0-9a-f]{16} /);
    expect(idA).not.toContain("aaa5c974cef8d597"); // the fixed-seed key every such device had
    expect(idB).not.toBe(idA);
    expect(idA2).toBe(idA);
    expect(nonceA2).not.toBe(nonceA);
  }, 300_000);
});
