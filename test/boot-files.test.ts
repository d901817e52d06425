// UNLOCK and boot files on a real Espruino for Linux (issue 21, finding 4).
// The image is installed in Storage as `pindai flash` leaves it (pindai.img
// and the one-line .bootcde) and booted from flash. An attacker who has the
// console for one line in an unlocked moment writes a .boot0 that opens the
// REPL again after the image locked it (Espruino runs .boot0-.boot3 before
// .bootcde). After a reboot the REPL must stay locked, the file must be gone,
// and the log must hold who unlocked and what was removed.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync, type ChildProcess } from "node:child_process";
import { killTree } from "./support/pty-exec";
import { bootFromFlash, flashToFolder } from "./support/espruino-boot";
import { haveTool } from "./support/tools";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../host/build/build";
import { BOOT_FILE, IMAGE_FILE } from "../host/src/flash-espruino";
import { DeviceClient } from "../host/issuer/device-client";
import { makeWorld } from "../sim/world";

const ESPRUINO = process.env.ESPRUINO;
if (!ESPRUINO) console.warn("\n*** SKIPPED: ESPRUINO is not set: boot files and UNLOCK were not tried on a real Espruino ***\n");

const procs: ChildProcess[] = [];
afterAll(() => procs.forEach((p) => killTree(p)));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!ESPRUINO || !haveTool("socat"))("boot files and UNLOCK on Espruino for Linux (ESPRUINO names the binary)", () => {
  it("a .boot0 written while unlocked is removed at the next boot and reported; the REPL stays locked; UNLOCK is logged", async () => {
    const world = makeWorld(Math.floor(Date.now() / 1000), 1);
    const dir = mkdtempSync(join(tmpdir(), "pindai-bootfiles-"));
    const img = await build({ roots: [Buffer.from(world.roots[0].publicKey).toString("hex")], version: "boot" }, join(dir, "dist"), () => {});
    // Storage as pindai flash leaves it: the image's parts, pindai.img and its boot loader.
    const { files, listed } = flashToFolder(ESPRUINO!, dir, img.espruino);
    expect(listed).toBe([BOOT_FILE, ...files.map((f) => f.name)].sort().join(","));
    expect(listed).toContain(IMAGE_FILE);

    // First boot: locked. A root signs UNLOCK; the console is the REPL now, and one line goes in.
    const first = await bootFromFlash(ESPRUINO!, dir, procs);
    await sleep(1500);
    expect(await first.link.request("VERSION")).toBe("OK pindai boot");
    const client = new DeviceClient(first.link, world.rootKey);
    try {
      expect(await client.unlock()).toBe("UNLOCK");
    } catch (e) {
      throw new Error(`${(e as Error).message}; Espruino printed: ${JSON.stringify(first.out().slice(-600))}`);
    }
    const payload = `var c=E.getConsole();setTimeout(function(){E.setConsole(c,{force:true});print("RE"+"OPENED")},1500);`;
    first.write(`require("Storage").write(".boot0",${JSON.stringify(payload)});print("<"+"planted>")\n`);
    for (let i = 0; i < 50 && !first.out().includes("<planted>"); i++) await sleep(100);
    expect(first.out()).toContain("<planted>");
    await first.stop();

    // Power off and on.
    const second = await bootFromFlash(ESPRUINO!, dir, procs);
    try {
      await sleep(4000);
      expect(second.out()).not.toContain("REOPENED");
      expect(await second.link.request('print("RE"+"PL")')).toMatch(/^ERR UNKNOWN_COMMAND/);
      const c2 = new DeviceClient(second.link, world.rootKey);
      const logs = await c2.logs();
      expect(logs.map((l) => l.source)).toEqual(["unlocked", "tamper"]);
      expect(logs[0].kid).toBe(Buffer.from(world.rootKey.kid).toString("hex"));
      expect(Number.parseInt(logs[1].nikHash.slice(0, 8), 16)).toBe(1); // one file removed
    } catch (e) {
      throw new Error(`${(e as Error).message}; Espruino printed: ${JSON.stringify(second.out().slice(-600))}`);
    } finally {
      await second.stop();
    }
    // The flash holds no .boot0 any more.
    const list = join(dir, "list.js");
    writeFileSync(list, `print("<"+"files "+require("Storage").list().sort().join(",")+">");`);
    const after = spawnSync(ESPRUINO!, [list], { cwd: dir, encoding: "latin1", timeout: 60_000 }).stdout;
    expect(after).toMatch(/<files [^>]*>/);
    expect(after).not.toMatch(/<files [^>]*\.boot0/);
  }, 600_000);
});
