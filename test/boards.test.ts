// The reference builds (README, Reference builds): every build config in
// examples/boards/ is a valid config and builds both images, with the scan
// engine at 115,200 baud as the README's engine setup says.
import { describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../host/build/build";
import { readBuildFile, resolveBuild } from "../host/build/config";
import { hasLazyTail } from "../host/build/lua-lazy";
import { haveTool } from "./support/tools";
import { luaDevice } from "./support/lua-device";

const BOARDS = "examples/boards";
const files = readdirSync(BOARDS).filter((f) => f.endsWith(".json"));

describe("examples/boards", () => {
  it("holds the reference builds (four boards, and the ESP32 one for LFS), each named in the README", () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    const readme = readFileSync("README.md", "utf8");
    for (const f of files) expect(readme, f).toContain(`examples/boards/${f}`);
  });

  for (const f of files) {
    it(`${f} builds`, async () => {
      const file = readBuildFile(join(BOARDS, f));
      const b = resolveBuild(file);
      if (file.espruino !== undefined) expect(b.espruino.scanEngine?.baud).toBe(115200);
      if (file.lua !== undefined) expect(b.lua.scanEngine?.baud).toBe(115200);
      const out = mkdtempSync(join(tmpdir(), "pindai-board-"));
      const r = await build(file, out, () => {});
      expect(readFileSync(r.espruino, "utf8").length).toBeGreaterThan(10_000);
      if (file.espruino?.scanEngine) expect(readFileSync(r.espruino, "utf8")).toMatch(/baud:\s*115200/);
      // For NodeMCU's LFS every function stays in the Lua image; otherwise the larger ones go to its tail, read on first call (with luac5.4).
      const lazyTail = hasLazyTail(readFileSync(r.lua, "utf8"));
      if (file.luaLfs === true) expect(lazyTail).toBe(false);
      else if (haveTool("luac5.4")) expect(lazyTail).toBe(true);
      // An ESP32's uarts are set up with the config's pins (NodeMCU for ESP32 takes no uart
      // but the console without them): the image run on lua5.4, through the same HAL contract.
      const pinned = [file.lua?.scanEngine, file.lua?.reader].filter((u) => u?.tx !== undefined);
      if (pinned.length > 0 && haveTool("lua5.4")) {
        const dev = luaDevice("lua5.4", r.lua, mkdtempSync(join(tmpdir(), "pindai-board-flash-")));
        try {
          expect(await dev.request("VERSION")).toBe(`OK pindai ${file.version}`);
          const setups = dev.lines.filter((l) => /^uart\d+: /.test(l)).sort();
          expect(setups).toEqual(pinned.map((u) => `uart${u!.id}: ${u!.baud} baud, tx ${u!.tx}, rx ${u!.rx}`).sort());
        } finally {
          await dev.close();
        }
      }
    }, 600_000);
  }
});
