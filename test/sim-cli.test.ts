// pindai sim: the file-driven mode (exit status follows its expect lines) and
// the interactive mode over stdin.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "pindai-sim-"));
const pindai = (args: string[], input?: string) =>
  spawnSync("npx", ["--no-install", "pindai", ...args], { encoding: "utf8", input, timeout: 60_000 });

describe("pindai sim", () => {
  it("--help explains the modes and lists the commands", () => {
    const r = pindai(["sim", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("--script FILE");
    expect(r.stdout).toContain("tap CARD");
  });

  it("the shipped entrance script passes", () => {
    const r = pindai(["sim", "--script", "sim/scripts/entrance.txt"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("script passed");
    expect(r.stdout).toContain("Card is not genuine (a copy)");
  });

  it("a failing expect line makes the script exit 1", () => {
    const f = join(dir, "bad.txt");
    writeFileSync(f, "phone\nexpect EXPIRED\n");
    const r = pindai(["sim", "--script", f]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("FAILED: expected EXPIRED, got OK");
  });

  it("a fresh device refuses until provisioned; typos fail the script", () => {
    const f = join(dir, "fresh.txt");
    writeFileSync(f, "phone\nexpect NO_KEYSET\nkeyset install\nclock set\nrefresh\nphone\nexpect OK\n");
    expect(pindai(["sim", "--fresh", "--script", f]).status).toBe(0);
    writeFileSync(f, "phnoe\n");
    expect(pindai(["sim", "--script", f]).status).toBe(1);
  });

  it("interactive mode reads commands from stdin, in Bahasa Indonesia by default", () => {
    const r = pindai(["sim"], "phone\ntap clone\nquit\n");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("SAH");
    expect(r.stdout).toContain("Kartu tidak asli (salinan)");
  });

  it("a missing script file is a file that cannot be read (exit 1, the rule in pindai --help)", () => {
    const r = pindai(["sim", "--script", join(dir, "missing.txt")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot read script/);
  });
});

describe("pindai sim with a flash file", () => {
  it("keeps the key set and the audit log across runs", () => {
    const flash = join(dir, "flash.json");
    const f = join(dir, "one.txt");
    writeFileSync(f, "phone\nexpect OK\n");
    expect(pindai(["sim", "--flash", flash, "--script", f]).status).toBe(0);
    writeFileSync(f, "admin STATUS\nlog\n");
    const r = pindai(["sim", "--flash", flash, "--fresh", "--script", f]);
    expect(r.stdout).toMatch(/OK 1 0 /); // key set version 1 still installed; --fresh: clock unset
    expect(r.stdout).toMatch(/LOG 1 \d+ OK time/); // the signed TIME of the first run's provisioning
    expect(r.stdout).toMatch(/LOG 2 \d+ OK qr/);
  });
});
