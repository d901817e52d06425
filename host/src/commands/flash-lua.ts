// pindai flash-lua: write the Lua image through a NodeMCU-style Lua REPL.
import { parse, parseInteger, required } from "../args";
import { flashLua } from "../flash-lua";
import { progressLine, readImage } from "./upload";
import type { Io } from "../cli";

export const flashLuaHelp = `pindai flash-lua --port PATH [--image dist/lua/pindai.lua] [--name pindai.lua] [--baud 115200] [--chunk 128]

Writes the Lua image (npm run build makes it) onto a NodeMCU-style device
through its Lua REPL on PATH, with progress, then has the device checksum the
file and compares. Exit status 0 when the device holds exactly the image.`;

export async function flashLuaCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    port: { type: "string" },
    image: { type: "string" },
    name: { type: "string" },
    baud: { type: "string" },
    chunk: { type: "string" },
  });
  if (values.help) return io.help(flashLuaHelp);
  const path = required(values.port, "port");
  const image = new Uint8Array(readImage(values.image ?? "dist/lua/pindai.lua", values.image !== undefined));
  try {
    const r = await flashLua(path, image, {
      name: values.name,
      baud: values.baud ? parseInteger(values.baud, "baud", 300, 4000000) : undefined,
      chunk: values.chunk ? parseInteger(values.chunk, "chunk", 16, 1024) : undefined,
      progress: progressLine(io, "flash-lua"),
    });
    io.out(`flashed ${r.bytes} bytes to ${values.name ?? "pindai.lua"}, checksum ${r.checksum} verified`);
    return 0;
  } catch (e) {
    io.err(`pindai flash-lua: ${(e as Error).message}`);
    return 1;
  }
}
