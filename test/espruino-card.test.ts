// The card path of the flashed Espruino image on a real Espruino for Linux: a
// PN532 emulator on a pty as the board's Serial2, the image as `pindai flash`
// leaves it (its parts, short names and short property names), a genuine
// card and a clone tapped, the verdicts read back from the signed audit log.
import { afterAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootFromFlash, flashToFolder } from "./support/espruino-boot";
import { killTree } from "./support/pty-exec";
import { haveTool } from "./support/tools";
import { build } from "../host/build/build";
import { DeviceClient } from "../host/issuer/device-client";
import { attachPty } from "../sim/pn532/attach";
import { makeWorld } from "../sim/world";

const ESPRUINO = process.env.ESPRUINO;
if (!ESPRUINO) console.warn("\n*** SKIPPED: ESPRUINO is not set: the Espruino image's card path was not run on a real Espruino ***\n");
const procs: ChildProcess[] = [];
afterAll(() => procs.forEach((p) => killTree(p)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!ESPRUINO || !haveTool("socat"))("the Espruino image's card reader on Espruino for Linux (ESPRUINO names the binary)", () => {
  it("a genuine card is OK and a clone CARD_AUTH_FAILED, through the PN532 on Serial2", async () => {
    const world = makeWorld(Math.floor(Date.now() / 1000), 1);
    const dir = mkdtempSync(join(tmpdir(), "pindai-esp-card-"));
    const pty = await attachPty();
    const img = await build(
      { roots: [Buffer.from(world.roots[0].publicKey).toString("hex")], version: "card", espruino: { reader: { port: "Serial2", baud: 115200, path: pty.hostPath } } },
      join(dir, "dist"),
      () => {},
      ["espruino"],
    );
    flashToFolder(ESPRUINO!, dir, img.espruino);
    const { link, out, stop } = await bootFromFlash(ESPRUINO!, dir, procs);
    try {
      await sleep(1500);
      const admin = new DeviceClient(link, world.adminKey);
      expect(await admin.installKeyset(world.keysetBytes)).toBe("INSTALLED 1");
      const t = Math.floor(Date.now() / 1000);
      expect(await new DeviceClient(link, world.rootKey).setTime(t)).toBe(`TIME ${t}`);
      const verdicts = async (n: number) => {
        for (let i = 0; i < 120; i++) {
          const log = (await admin.logs()).filter((r) => r.source === "card").map((r) => r.verdict);
          if (log.length >= n) return log;
          await sleep(1000);
        }
        return [];
      };
      pty.emulator.tap(world.cards.genuine);
      expect(await verdicts(1)).toEqual(["OK"]);
      pty.emulator.tap(undefined);
      await sleep(3000);
      pty.emulator.tap(world.cards.clone);
      expect(await verdicts(2)).toEqual(["OK", "CARD_AUTH_FAILED"]);
    } catch (e) {
      throw new Error(`${(e as Error).message}; Espruino printed: ${JSON.stringify(out().slice(-600))}`);
    } finally {
      await stop();
      await pty.close();
    }
  }, 600_000);
});
