// pindai flash-lua: write the Lua image through a NodeMCU-style Lua REPL.
import { readFileSync } from "node:fs";
import { parse, parseInteger, required } from "../args";
import { CliError } from "../errors";
import { flashLua } from "../flash-lua";
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
  const imagePath = values.image ?? "dist/lua/pindai.lua";
  let image: Uint8Array;
  try {
    image = new Uint8Array(readFileSync(imagePath));
  } catch (e) {
    throw new CliError(`cannot read image ${imagePath}: ${(e as Error).message} (run npm run build first)`);
  }
  let last = -1;
  try {
    const r = await flashLua(path, image, {
      name: values.name,
      baud: values.baud ? parseInteger(values.baud, "baud", 300, 4000000) : undefined,
      chunk: values.chunk ? parseInteger(values.chunk, "chunk", 16, 1024) : undefined,
      progress: (done, total) => {
        const pct = Math.floor((100 * done) / total);
        if (pct >= last + 10 || done === total) {
          io.err(`flash-lua: ${pct}% (${done}/${total} bytes)`);
          last = pct;
        }
      },
    });
    io.out(`flashed ${r.bytes} bytes to ${values.name ?? "pindai.lua"}, checksum ${r.checksum} verified`);
    return 0;
  } catch (e) {
    io.err(`pindai flash-lua: ${(e as Error).message}`);
    return 1;
  }
}
