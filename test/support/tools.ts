// System tools that some tests need (socat, lua5.3, lua5.4). A test that needs
// one runs whenever it is present, says loudly that it skipped when it is not,
// and never skips under CI=true (.ci/run installs them).
import { spawnSync } from "node:child_process";

const seen: Record<string, boolean> = {};

export function haveTool(name: string): boolean {
  if (!(name in seen)) {
    seen[name] = spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
  }
  if (!seen[name]) {
    if (process.env.CI === "true") {
      throw new Error(`${name} is required under CI=true but is not installed (.ci/run installs it)`);
    }
    console.warn(`\n*** SKIPPED: ${name} is not installed; tests that need it did not run ***\n`);
  }
  return seen[name];
}
