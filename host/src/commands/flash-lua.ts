// pindai flash-lua: write the Lua image through a NodeMCU-style Lua REPL.
import { parse, parseInteger, required } from "../args";
import { flashLua, INIT_FILE } from "../flash-lua";
import { progressLine, readImage } from "./upload";
import type { Io } from "../cli";

export const flashLuaHelp = `pindai flash-lua --port PATH [--image dist/lua/pindai.lua] [--name pindai.lua] [--baud 115200] [--chunk 128] [--no-init]

Writes the Lua image (npm run build makes it) onto a NodeMCU-style device
through its Lua REPL on PATH, with progress, under a scratch name; has the
device checksum it and compares; then renames it into place, so a transfer
cut anywhere leaves the image before it whole. Then, for a Lua source image
(a --name ending in .lua), it writes init.lua, which NodeMCU runs at boot, as
dofile("<name>"), the same way: the device runs the image from its next boot.

  --no-init   leave init.lua as it is
  (an LFS image, --name pindai.img, gets no init.lua: load it into LFS with
  node.LFS.reload at the device's prompt, README "ESP32 + NodeMCU Lua")

Exit status 0 when the device holds exactly the image (and init.lua), 1 when
flashing failed, 2 on a usage error.`;

export async function flashLuaCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    port: { type: "string" },
    image: { type: "string" },
    name: { type: "string" },
    baud: { type: "string" },
    chunk: { type: "string" },
    "no-init": { type: "boolean" },
  });
  if (values.help) return io.help(flashLuaHelp);
  const path = required(values.port, "port");
  const image = new Uint8Array(readImage(values.image ?? "dist/lua/pindai.lua", values.image !== undefined));
  const name = values.name ?? "pindai.lua";
  const init = name.endsWith(".lua") && values["no-init"] !== true;
  try {
    const r = await flashLua(path, image, {
      name,
      init,
      baud: values.baud ? parseInteger(values.baud, "baud", 300, 4000000) : undefined,
      chunk: values.chunk ? parseInteger(values.chunk, "chunk", 16, 1024) : undefined,
      progress: progressLine(io, "flash-lua"),
    });
    io.out(`flashed ${r.bytes} bytes to ${name}, checksum ${r.checksum} verified${init ? `; ${INIT_FILE} runs it at boot` : ""}`);
    return 0;
  } catch (e) {
    io.err(`pindai flash-lua: ${(e as Error).message}`);
    return 1;
  }
}
