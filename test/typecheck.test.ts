// The whole tree type-checks (strict): vitest and the image builds only
// transpile, so this is where a type error fails the build.
import { expect, it } from "vitest";
import { spawnSync } from "node:child_process";

it("tsc --noEmit passes on firmware, sim, host, bench and test", () => {
  const r = spawnSync("npx", ["--no-install", "tsc", "--noEmit", "-p", "."], { encoding: "utf8" });
  expect(r.stdout + r.stderr).not.toMatch(/error TS/);
  expect(r.status).toBe(0);
}, 120_000);
