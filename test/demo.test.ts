// npm start's demo runs to the end and shows each verdict it promises.
import { expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

it("the demo accepts a fresh code and rejects the late, tampered and clockless ones", () => {
  const out = mkdtempSync(join(tmpdir(), "pindai-demo-"));
  const r = spawnSync("npx", ["tsx", "sim/demo.ts"], { encoding: "utf8", env: { ...process.env, PINDAI_DEMO_OUT: out } });
  expect(r.status, r.stderr).toBe(0);
  const verdicts = r.stdout.split("\n").filter((l) => /^\s+\| [A-Z_]+$/.test(l)).map((l) => l.trim().slice(2));
  expect(verdicts).toEqual(["OK", "EXPIRED", "BAD_SIGNATURE", "CLOCK_NOT_SET"]);
  expect(r.stdout).toContain("NIK: 320101******0001");
  expect(existsSync(join(out, "presentation.png"))).toBe(true);
});
