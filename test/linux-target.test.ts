// The Linux-class target's flash folder (issue 21, finding 7): it holds the
// device's secrets, so it is 0700 and its files 0600, and a folder that group
// or others can write (where anyone could drop the floors and the log) is refused.
import { describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dirStorage } from "../firmware/targets/node/dir-storage";
import { systemRtc } from "../firmware/targets/node/system-rtc";

const mode = (p: string) => statSync(p).mode & 0o777;

describe("the flash folder of pindai run", () => {
  it("is made 0700, and each file in it (device.key, audit.key, .rtc) 0600", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "pindai-linux-")), "flash");
    const s = dirStorage(dir);
    s.write("device.key", new Uint8Array(68).fill(1), 0);
    s.write("audit.key", new Uint8Array(32).fill(2), 0);
    systemRtc(join(dir, ".rtc")).set(1_800_000_000);
    expect(mode(dir)).toBe(0o700);
    for (const f of ["device.key", "audit.key", ".rtc"]) expect(mode(join(dir, f)), f).toBe(0o600);
  });

  it("an existing folder others could read is closed, and its files too (the old 0755 / 0644)", () => {
    const dir = mkdtempSync(join(tmpdir(), "pindai-linux-"));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, "device.key"), new Uint8Array(68));
    chmodSync(join(dir, "device.key"), 0o644);
    dirStorage(dir);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, "device.key"))).toBe(0o600);
  });

  it("a folder that group or others can write is refused", () => {
    for (const m of [0o777, 0o770, 0o702]) {
      const dir = mkdtempSync(join(tmpdir(), "pindai-linux-"));
      chmodSync(dir, m);
      expect(() => dirStorage(dir), m.toString(8)).toThrow(/writable by group or others/);
    }
  });
});
