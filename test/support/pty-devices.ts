// Two real devices on real ptys (socat), as the fleet tool meets them: the
// simulator with its admin line on a pty (node-serialport on one end), and
// the Lua image built with the same root, whose stdin/stdout are its admin
// line (stdio-hal.lua --admin-stdio). The simulator's agency keys are written
// as the key files an agency keeps.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { openPtyPair, type PtyLink } from "../../sim/pty";
import { SimConsole } from "../../sim/console";
import { nodeSerial } from "../../firmware/targets/node/serial";
import { build, type BuildResult } from "../../host/build/build";
import { writeKeyFile, newKey, hex } from "../../host/issuer/keyfile";
import { killTree, ptyExec } from "./pty-exec";

/** A key file holding one of the simulated world's keys. */
export function keyFileOf(k: { secretKey: Uint8Array; kid: Uint8Array }, usage: Array<"admin" | "qr" | "root">) {
  return { ...newKey(usage, 0, 2 ** 32, new Uint8Array(k.secretKey)), kid: hex(k.kid) };
}

export interface PtyDevices {
  sim: SimConsole;
  /** The simulator's pty: `b` is the end the host tools open. */
  simLink: PtyLink;
  lua: { path: string; proc: ChildProcess };
  image: BuildResult;
  keys: { admin: string; root: string; qr: string; keyset: string };
  close(): Promise<void>;
}

/** Where ptyDevices(dir) writes the agency's key files and key set. */
export function keyPaths(dir: string): PtyDevices["keys"] {
  return { admin: join(dir, "admin.json"), root: join(dir, "root.json"), qr: join(dir, "qr.json"), keyset: join(dir, "keyset.cbor") };
}

/** Both devices, fresh (no key set, clock untrusted), their files under `dir`. */
export async function ptyDevices(dir: string, version: string): Promise<PtyDevices> {
  const sim = new SimConsole({ fresh: true, lang: "en", start: Math.floor(Date.now() / 1000) });
  const keys = keyPaths(dir);
  writeKeyFile(keys.admin, keyFileOf(sim.world.adminKey, ["admin"]));
  writeKeyFile(keys.qr, keyFileOf(sim.world.qrSigner, ["qr"]));
  writeKeyFile(keys.root, keyFileOf(sim.world.rootKey, ["root"]));
  writeFileSync(keys.keyset, sim.world.keysetBytes);
  const simLink = await openPtyPair();
  const simPort = new SerialPort({ path: simLink.a, baudRate: 115200 });
  await new Promise((r) => simPort.once("open", r));
  sim.connectAdmin(nodeSerial(simPort));
  const image = await build({ roots: [hex(sim.world.roots[0].publicKey)], version }, join(dir, "dist"), () => {});
  const lua = await ptyExec(`lua5.4 ${join(process.cwd(), "firmware/targets/lua/stdio-hal.lua")} --admin-stdio --flash ${mkdtempSync(join(dir, "lua-flash-"))} ${image.lua}`, dir);
  return {
    sim,
    simLink,
    lua,
    image,
    keys,
    close: async () => {
      await new Promise((r) => (simPort.isOpen ? simPort.close(r) : r(0)));
      simLink.close();
      killTree(lua.proc);
    },
  };
}
