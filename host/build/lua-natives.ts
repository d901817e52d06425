// The Lua natives (firmware/targets/lua/natives.lua) put in front of a
// typescript-to-lua bundle: they define PINDAI_NATIVES before any module of
// the bundle loads, which is when firmware/core/natives.ts looks for them.
import { readFileSync } from "node:fs";

const NATIVES_LUA = new URL("../../firmware/targets/lua/natives.lua", import.meta.url);

export function withLuaNatives(bundle: string): string {
  return "PINDAI_NATIVES = (function()\n" + readFileSync(NATIVES_LUA, "utf8") + "\nend)()\n" + bundle;
}
