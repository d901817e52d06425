// Power cuts on the Lua image, on real Lua 5.4 (issue 21, finding 5): the
// stdio HAL cuts the power after a budget of bytes written (C <n>: the write
// in progress keeps its first bytes, nothing after it runs) and boots the
// image again on the same flash (R). A code accepted before must stay used,
// the floor must not fall and the key set must stay, whatever byte of the
// next accepted code's writes the cut lands on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, type BuildResult } from "../host/build/build";
import { hex } from "../host/issuer/keyfile";
import { DeviceClient } from "../host/issuer/device-client";
import { issuePresentation } from "../host/issuer/issuer";
import { REPLAY_REJECT } from "../firmware/core/policy";
import { HOLDER, makeWorld } from "../sim/world";
import { luaDevice } from "./support/lua-device";
import { haveTool } from "./support/tools";

const HAVE = haveTool("lua5.4");
const HAL = join(process.cwd(), "firmware/targets/lua/stdio-hal.lua");
const dir = mkdtempSync(join(tmpdir(), "pindai-cut-lua-"));

/** One boot of the image on `flash` fed `script`; its output lines. */
function run(image: string, flash: string, script: string[], now: number): string[] {
  const r = spawnSync("lua5.4", [HAL, "--flash", flash, "--rtc", String(now + 5), image], { input: script.join("\n") + "\n", encoding: "latin1" });
  if (r.status !== 0) throw new Error("lua5.4 failed: " + r.stderr);
  return r.stdout.split("\n");
}

/** The verdict screen shown after the marker line (a PING's answer). */
function verdictAfter(lines: string[], mark: string): string {
  const at = lines.indexOf("< OK PONG " + mark);
  const v = lines.slice(at + 1).find((l) => /^\[(green|red|amber)\]/.test(l));
  return v ?? "(none)";
}

describe.skipIf(!HAVE)("the Lua image: power cut at every byte of an accepted code's writes (lua5.4)", () => {
  const now = Math.floor(Date.now() / 1000) + 600; // after the image's build time, whatever the build takes
  const world = makeWorld(now, REPLAY_REJECT);
  const codeA = issuePresentation(world.qrSigner, HOLDER, { iat: now });
  const codeB = issuePresentation(world.qrSigner, { ...HOLDER, nik: "3201014512900002" }, { iat: now });
  const codeC = issuePresentation(world.qrSigner, { ...HOLDER, nik: "3201014512900003" }, { iat: now });
  let image: BuildResult;
  const base = join(dir, "base");

  beforeAll(async () => {
    // The console display (a debug option): its "[green] ..." / "[red] ..." lines are what this test reads.
    image = await build({ roots: [hex(world.roots[0].publicKey)], version: "cut", lua: { display: { type: "console" } } }, join(dir, "dist"), () => {});
    mkdirSync(base);
    const dev = luaDevice("lua5.4", image.lua, base);
    const client = new DeviceClient(dev, world.adminKey);
    expect(await client.installKeyset(world.keysetBytes)).toBe("INSTALLED 1");
    expect(await new DeviceClient(dev, world.rootKey).setTime(now)).toBe(`TIME ${now}`); // an untrusted clock takes a root's TIME
    // Code A is accepted: from now on it is a used code.
    dev.send("U 1 " + codeA);
    dev.send("W 20");
    expect(await dev.waitFor(/^\[green\]/)).toMatch(/^\[green\]/);
    // And a second accepted code, so that every function an accepted code's path loads is in the
    // bytecode cache (pindai.lbc) before B's writes are counted: a function first loaded on B's
    // path would add its cache entry to them (once, in a full run: 323 bytes counted where 52 are B's).
    const afterA = dev.lines.length;
    dev.send("U 1 " + codeC);
    dev.send("W 20");
    expect(await dev.waitFor(/^\[(green|red|amber)\]/, afterA)).toMatch(/^\[green\]/);
    await dev.close();
  }, 180_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("after a cut at any byte, A is still used, the floor stands and the key set stays", () => {
    const before = run(image.lua, (() => {
      const d = join(dir, "probe");
      cpSync(base, d, { recursive: true });
      return d;
    })(), ["A STATUS"], now).find((l) => l.startsWith("< OK"))!;
    const floorBefore = Number(before.split(" ")[6]);
    let cut = 0;
    let failures: string[] = [];
    for (; cut < 5000; cut++) {
      const flash = join(dir, "cut" + cut);
      cpSync(base, flash, { recursive: true });
      // B is scanned and the power goes after `cut` bytes; then a boot, and A again.
      const lines = run(image.lua, flash, ["C " + cut, "U 1 " + codeB, "W 20", "A PING b", "R", "A PING a", "U 1 " + codeA, "W 20", "A STATUS"], now);
      rmSync(flash, { recursive: true, force: true });
      const uncut = lines.includes("< OK PONG b"); // B's writes all fit in the budget: nothing was cut
      const a = verdictAfter(lines, "a");
      const status = lines.filter((l) => l.startsWith("< OK ")).pop()!.split(" ");
      if (!/^\[red\] .*(already used|sudah dipakai)/.test(a)) failures.push(`cut after ${cut} bytes: A shows ${a}`);
      if (status[2] !== "1") failures.push(`cut after ${cut} bytes: key set ${status[2]}`);
      if (Number(status[6]) < floorBefore) failures.push(`cut after ${cut} bytes: floor ${status[6]} < ${floorBefore}`);
      if (uncut) break;
    }
    expect(failures).toEqual([]);
    console.log(`Lua image: an accepted code wrote ${cut} bytes to flash (cut at each of them)`);
    // The whole of B's writes is the cost of an accepted code on this target (issue 21: at most 64 bytes
    // of flash writes for the replay record itself; the audit record is 32 more).
    expect(cut).toBeGreaterThan(20);
    expect(cut).toBeLessThanOrEqual(20 + 32 + 12);
  }, 600_000);

  it("a cut anywhere in a new device's first writes (its keys, its bytecode cache) leaves a device that boots, answers and gives the same verdicts", () => {
    // A fresh flash: the first boot writes the device's keys and, as its functions are first
    // loaded, the bytecode cache (host/build/lua-lazy.ts: pindai.lbc). The power goes after
    // `cut` bytes (--cut: the first boot's writes included); the next boots must run as an uncut device does.
    const boot = (flash: string, cut?: number) => {
      const args = [HAL, "--flash", flash, "--rtc", String(now + 5), ...(cut === undefined ? [] : ["--cut", String(cut)]), image.lua];
      const script = ["W 10", "R", "A PING a", "U 1 " + codeA, "W 20", "R", "A PING b", "U 1 " + codeA, "W 20"];
      const r = spawnSync("lua5.4", args, { input: script.join("\n") + "\n", encoding: "latin1" });
      if (r.status !== 0) throw new Error(`lua5.4 failed (cut ${cut}): ` + r.stderr);
      const lines = r.stdout.split("\n");
      return [verdictAfter(lines, "a"), verdictAfter(lines, "b")].join(" / ");
    };
    const fresh = join(dir, "fresh");
    mkdirSync(fresh);
    const want = boot(fresh);
    expect(want).toMatch(/^\[amber\].* \/ \[amber\]/); // no key set on a new device: amber, never green
    const written = statSync(join(fresh, "pindai.lbc")).size;
    expect(written).toBeGreaterThan(10_000);
    const failures: string[] = [];
    const cuts = [...Array.from({ length: 30 }, (_, i) => i * 11), ...Array.from({ length: 50 }, (_, i) => 330 + Math.floor((i * written) / 50))];
    for (const cut of cuts) {
      const flash = join(dir, "fresh-cut" + cut);
      mkdirSync(flash);
      const got = boot(flash, cut);
      const cache = statSync(join(flash, "pindai.lbc"), { throwIfNoEntry: false });
      rmSync(flash, { recursive: true, force: true });
      if (got !== want) failures.push(`cut after ${cut} bytes: ${got}`);
      if (cache === undefined || cache.size < written / 2) failures.push(`cut after ${cut} bytes: the cache was not made again (${cache?.size} bytes)`);
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
