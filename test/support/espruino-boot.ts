// A real Espruino for Linux booted from its flash (no file argument: .boot0-.boot3, then
// .bootcde) in a folder, its console on a pty as a board's USB console: the console's
// output so far, a writer, and the admin line as the host tools speak it.
import { spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { streamLink } from "../../host/issuer/device-client";
import { BOOT_FILE, BOOT_LOADER, espruinoStorageFiles } from "../../host/src/flash-espruino";
import { killTree, ptyExec } from "./pty-exec";

/** Boots `espruino` in `dir`; its process goes into `procs` (the caller's afterAll kills what a failed test left). */
export async function bootFromFlash(espruino: string, dir: string, procs: ChildProcess[]) {
  const { path, proc } = await ptyExec(espruino, dir);
  procs.push(proc);
  const port = new SerialPort({ path, baudRate: 9600 });
  await new Promise((r) => port.once("open", r));
  let out = "";
  port.on("data", (d: Buffer) => (out += d.toString("latin1")));
  const write = (t: string) => void port.write(Buffer.from(t, "latin1"));
  const link = streamLink(write, (fn) => port.on("data", fn), async () => {}, 120_000, "espruino"); // a busy host: the device makes its Ed25519 tables meanwhile
  const stop = async () => {
    await new Promise((r) => port.close(r));
    killTree(proc);
    await new Promise((r) => (proc.exitCode !== null || proc.signalCode !== null ? r(0) : proc.on("exit", r)));
  };
  return { write, link, out: () => out, stop };
}

/**
 * Storage in `dir` as `pindai flash` leaves it (each file of the image at `image`, then the boot
 * loader), written by `espruino` itself; the files, and the names Storage then lists.
 */
export function flashToFolder(espruino: string, dir: string, image: string): { files: Array<{ name: string; data: string }>; listed: string } {
  const files = espruinoStorageFiles(readFileSync(image, "latin1"));
  const setup = files.map((f) => `require("Storage").write(${JSON.stringify(f.name)},${JSON.stringify(f.data)});`);
  setup.push(`require("Storage").write(${JSON.stringify(BOOT_FILE)},${JSON.stringify(BOOT_LOADER)});print("<"+"installed "+require("Storage").list().sort().join(",")+">");`);
  writeFileSync(join(dir, "setup.js"), setup.join("\n") + "\n");
  const r = spawnSync(espruino, ["setup.js"], { cwd: dir, encoding: "latin1", timeout: 60_000 });
  return { files, listed: /<installed ([^>]*)>/.exec(r.stdout ?? "")?.[1] ?? "" };
}
