// SCREEN on the admin line (issue 20, docs/SPEC.md 6.4-6.5): the frame on the
// device's panel, so support sees what the guard sees. It can show a
// holder's name, so it is a signed command and its answer is signed by the
// device. Through the real `pindai device screen` over real ptys (socat):
// the simulator, and the Lua image whose panel is its u8g2 SSD1306 driver.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import type { PtyLink } from "../sim/pty";
import { SimConsole } from "../sim/console";
import { DeviceClient, DeviceError, memoryLink } from "../host/issuer/device-client";
import { SimDevice } from "../sim/device";
import { HOLDER, makeWorld } from "../sim/world";
import { issuePresentation } from "../host/issuer/issuer";
import { runCli } from "./support/cli";
import { haveTool } from "./support/tools";
import { keyPaths, ptyDevices, type PtyDevices } from "./support/pty-devices";

const HAVE = haveTool("socat") && haveTool("lua5.4");
const dir = mkdtempSync(join(tmpdir(), "pindai-screen-admin-"));


describe("SCREEN through the device client (simulator in memory)", () => {
  it("answers the frame on the panel, signed by the device; refused unsigned; a changed answer is refused by the host", async () => {
    const now = 1_800_000_000;
    const world = makeWorld(now, 2);
    const d = new SimDevice({ roots: world.roots, buildTime: now - 86400, version: "t", lang: "en" });
    d.provision(world, now);
    d.scan(issuePresentation(world.qrSigner, HOLDER, { iat: now }));
    expect(d.admin("SCREEN")).toMatch(/^ERR SIGNATURE_REQUIRED/);
    const client = new DeviceClient(memoryLink((l) => d.admin(l)), world.adminKey);
    const f = await client.screen();
    // No panel driver in the simulator's display: the screen laid out on a nominal 128x64 monochrome panel.
    expect([f.width, f.height, f.colour]).toEqual([128, 64, false]);
    const texts = f.ops.filter((o) => o.font >= 0).map((o) => o.text);
    expect(texts).toEqual(expect.arrayContaining(["VALID", "Siti Aminah", "Born 05-12-1990", "NIK **0001"]));
    // One changed byte of the device's answer: the host refuses it.
    const tampering = new DeviceClient(
      memoryLink((l) => {
        const r = d.admin(l);
        return l.startsWith("ADMIN") ? r.slice(0, 60) + (r[60] === "0" ? "1" : "0") + r.slice(61) : r;
      }),
      world.adminKey,
    );
    await expect(tampering.screen()).rejects.toThrow(DeviceError);
    // A key without the admin usage may not read it.
    const byQr = new DeviceClient(memoryLink((l) => d.admin(l)), world.qrSigner);
    await expect(byQr.screen()).rejects.toThrow(/NOT_ADMIN/);
  });
});

describe.skipIf(!HAVE)("pindai device screen over real ptys", () => {
  let devices: PtyDevices;
  let sim: SimConsole;
  let simLink: PtyLink;
  let lua: { path: string; proc: ChildProcess };
  // A clock not yet trusted takes only a root's signature (issue 21 finding 11).
  const { admin: adminKey, root: rootKey, keyset: keysetFile } = keyPaths(dir);

  beforeAll(async () => {
    devices = await ptyDevices(dir, "screen-pty");
    ({ sim, simLink, lua } = devices);
  }, 120_000);

  afterAll(() => devices?.close());

  it("the simulator: the holder's verdict as PNG, written for the owner only; without --admin-key it is a usage error", async () => {
    expect((await runCli("device", "keyset", "--port", simLink.b, "--keyset", keysetFile)).code).toBe(0);
    expect((await runCli("device", "time", "--port", simLink.b, "--admin-key", rootKey)).code).toBe(0);
    await sim.run("phone");
    const out = join(dir, "sim-screen.png");
    expect((await runCli("device", "screen", "--port", simLink.b, "--out", out)).code).toBe(2);
    const r = await runCli("device", "screen", "--port", simLink.b, "--admin-key", adminKey, "--out", out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/128x64 monochrome frame written to .*: VALID \| #\d+ \| Siti Aminah \| Born 05-12-1990 \| NIK \*\*0001/);
    const png = PNG.sync.read(readFileSync(out));
    expect([png.width, png.height]).toEqual([256, 128]);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it("the Lua image: the frame its u8g2 SSD1306 driver drew (NOT READY until provisioned)", async () => {
    const out = join(dir, "lua-screen.png");
    const r = await runCli("device", "screen", "--port", lua.path, "--admin-key", adminKey, "--out", out, "--json");
    // Signed by a key the unprovisioned device does not know yet: refused.
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/UNKNOWN_KEY/);
    expect((await runCli("device", "keyset", "--port", lua.path, "--keyset", keysetFile)).code).toBe(0);
    const ok = await runCli("device", "screen", "--port", lua.path, "--admin-key", rootKey, "--out", out, "--json"); // its clock is not trusted yet: a root's
    expect(ok.code, ok.err).toBe(0);
    const f = JSON.parse(ok.out);
    expect([f.width, f.height, f.colour]).toEqual([128, 64, false]);
    const title = f.ops.find((o: { font: number; text: string }) => o.font >= 0);
    expect(title.text).toBe("TAK SIAP"); // the clock is not set yet: not ready, in the build's language
    expect(title.font).toBe(1); // u8g2's font_7x14B_tf, as the driver measured it
  });
});
