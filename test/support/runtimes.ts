// The runtimes an entry file is run on by the conformance suites: Lua 5.4 in
// wasmoon (always), Debian's lua5.3 and lua5.4 (when installed; required under
// CI=true), each of those also with the Lua natives the image carries, the minified Espruino image in a sandbox of Espruino's globals, and
// in the real Espruino interpreter when ESPRUINO names its binary.
import { buildLuaBundle, nativeRunner, wasmoonRunner, type LuaRunner } from "./lua";
import { buildEspruinoBundle, espruinoRunner, sandboxRunner } from "./espruino";
import { haveTool } from "./tools";
import { nodeNativesRunner } from "./node-natives";

export function runtimeRunners(entry: string): Array<[string, () => Promise<LuaRunner | undefined>]> {
  return [
    // The Linux-class device's path: OpenSSL through node:crypto behind the core's checks.
    ["Node, OpenSSL natives", async () => nodeNativesRunner(entry)],
    ["Lua 5.4 in wasmoon", async () => wasmoonRunner(buildLuaBundle(entry))],
    ["lua5.3", async () => (haveTool("lua5.3") ? nativeRunner("lua5.3", buildLuaBundle(entry)) : undefined)],
    ["lua5.4", async () => (haveTool("lua5.4") ? nativeRunner("lua5.4", buildLuaBundle(entry, "5.4")) : undefined)],
    // The same with the Lua natives in front, as in the image (firmware/targets/lua/natives.lua).
    ["Lua 5.4 in wasmoon, Lua natives", async () => wasmoonRunner(buildLuaBundle(entry, "5.4", true))],
    ["lua5.3, Lua natives", async () => (haveTool("lua5.3") ? nativeRunner("lua5.3", buildLuaBundle(entry, "5.3", true)) : undefined)],
    ["lua5.4, Lua natives", async () => (haveTool("lua5.4") ? nativeRunner("lua5.4", buildLuaBundle(entry, "5.4", true)) : undefined)],
    ["Espruino image (globals sandbox)", async () => sandboxRunner(await buildEspruinoBundle(entry))],
    // The real interpreter where ESPRUINO names one (it cannot be installed in CI: built from source).
    ...(process.env.ESPRUINO
      ? [["Espruino " + process.env.ESPRUINO, async () => espruinoRunner(process.env.ESPRUINO!, await buildEspruinoBundle(entry))] as [string, () => Promise<LuaRunner | undefined>]]
      : []),
  ];
}
