// The Lua natives (firmware/targets/lua/natives.lua) put in front of a
// typescript-to-lua bundle: they define PINDAI_NATIVES before any module of
// the bundle loads, which is when firmware/core/natives.ts looks for them.
import { readFileSync } from "node:fs";

const NATIVES_LUA = new URL("../../firmware/targets/lua/natives.lua", import.meta.url);

// The bundle's require keeps every module's main function in ____modules, and
// its last lines keep the bundle's own main function running until the entry
// has loaded: so the code that runs once (each module's top level, and
// functions nothing keeps, as the portable paths the natives replace) stays
// in memory through the boot. Dropping a module's main function as it is
// called, returning the entry by a tail call and collecting after each module
// frees it as the boot goes: the device image's boot peaks about 50 KB lower
// on a Cortex-M4 (bench/cortex-m.ts).
const TAKE_MODULE = "        local module = ____modules[file]\n";
const CACHE_MODULE = "        ____moduleCache[file] = { value = value }\n";
const ENTRY = /local ____entry = require\(("[^"\n]+"), \.\.\.\)\nreturn ____entry\n?$/;

function freeingModulesOnLoad(bundle: string): string {
  const entry = ENTRY.exec(bundle);
  if (!bundle.includes(TAKE_MODULE) || !bundle.includes(CACHE_MODULE) || entry === null) {
    throw new Error("lua-natives: the typescript-to-lua bundle's require is not the one expected (a new typescript-to-lua?)");
  }
  return (
    bundle
      .slice(0, entry.index)
      .replace(TAKE_MODULE, TAKE_MODULE + "        ____modules[file] = nil\n")
      .replace(CACHE_MODULE, CACHE_MODULE + "        collectgarbage()\n") + `return require(${entry[1]}, ...)\n`
  );
}

export function withLuaNatives(bundle: string): string {
  return "PINDAI_NATIVES = (function()\n" + readFileSync(NATIVES_LUA, "utf8") + "\nend)()\n" + freeingModulesOnLoad(bundle);
}
