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
    }, 600_000);
  }
});
