// Issue 21, finding 7 (second half): the files of pindai run's flash folder
// are authenticated. Someone who can write the folder edits .rtc (plain
// JSON), drops clock.floor and the audit pages, or copies back older copies
// of them, restarts, and a 30-minute-old screenshot was OK. Each attack runs
// first on the folder as it was (dirStorage + systemRtc on its own file,
// the wiring node/main.ts had: the attack works), then on the Node target as
// it is (node/main.ts start(), the sealed folder: the clock is untrusted, the
// verdict is not OK, and the device says why). The end-to-end run of the
// real `pindai run` is in test/linux-target.test.ts.
import { afterEach, describe, expect, it } from "vitest";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevice, buildOptions, type BuildConfig } from "../firmware/targets/device";
import { start } from "../firmware/targets/node/main";
import { dirStorage } from "../firmware/targets/node/dir-storage";
import { SEAL_FILE, sealedFolder } from "../firmware/targets/node/folder-seal";
import { systemRtc } from "../firmware/targets/node/system-rtc";
import { nodeRandom } from "../firmware/targets/node/random";
import { nodeTimers } from "../firmware/targets/node/timers";
import type { VerifierApp } from "../firmware/app/verifier";
import { issuePresentation } from "../host/issuer/issuer";
import { HOLDER, makeWorld } from "../sim/world";

const now = () => Math.floor(Date.now() / 1000);
const world = makeWorld(now(), 2);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const cfg: BuildConfig = {
  version: "seal",
  buildTime: now() - 86400,
  roots: [{ kid: hex(world.roots[0].kid), publicKey: hex(world.roots[0].publicKey) }],
  lang: "en",
  clearAfterMs: 1000,
  cardPollMs: 500,
};
let serial = 0;
/** A code issued `ago` seconds ago (a screenshot taken then), each with its own serial. */
const code = (ago: number) => issuePresentation(world.qrSigner, HOLDER, { iat: now() - ago, cti: new Uint8Array(16).fill(++serial) });

interface Booted {
  app: VerifierApp;
  lines: string[];
  close(): void;
}

const open: Booted[] = [];
afterEach(() => {
  for (const b of open.splice(0)) b.close();
});

/** The Node target as it was: the folder's files as they are, the RTC's offset in plain .rtc. */
function bootAsItWas(dir: string): Booted {
  const lines: string[] = [];
  const d = startDevice(
    {
      display: { show: (s) => lines.push("screen: " + s.title) },
      indicator: { signal: (s) => lines.push("LED " + s) },
      storage: dirStorage(dir),
      rtc: systemRtc(join(dir, ".rtc")),
      timers: nodeTimers(),
      random: nodeRandom,
    },
    buildOptions(cfg, true),
  );
  const b = { app: d.app, lines, close: () => {} };
  open.push(b);
  return b;
}

/** The Node target as it is (node/main.ts). */
function bootNow(dir: string): Booted {
  const lines: string[] = [];
  const n = start(cfg, { flashDir: dir, screen: { kind: "terminal", color: false }, out: (l) => lines.push(l) });
  const b = { app: n.device.app, lines, close: () => n.close() };
  open.push(b);
  return b;
}

/** Provisioned as an agency does it: the key set, a root's signed time; then a code verified. */
function provision(b: Booted, at = now()): void {
  expect(b.app.installKeyset(world.keysetBytes).ok).toBe(true);
  b.app.setTime(at, world.rootKey.kid, true);
  expect(b.app.time().trusted).toBe(true);
}

function verdict(b: Booted, text: string): string {
  b.app.scanText(text);
  return b.app.lastOutcome!.verdict;
}

const auditPages = (dir: string) => readdirSync(dir).filter((f) => /^audit/.test(f));
function editRtc(dir: string, seconds: number): void {
  const j = JSON.parse(readFileSync(join(dir, ".rtc"), "utf8")) as { offset: number };
  j.offset += seconds;
  writeFileSync(join(dir, ".rtc"), JSON.stringify(j));
}
const folder = () => join(mkdtempSync(join(tmpdir(), "pindai-seal-")), "flash");

describe("attack 1: .rtc edited 30 minutes back, clock.floor and the audit pages dropped, restart", () => {
  function attack(dir: string): void {
    editRtc(dir, -1800);
    rmSync(join(dir, "clock.floor"), { force: true });
    for (const f of auditPages(dir)) rmSync(join(dir, f));
  }

  it("on the folder as it was, a 30-minute-old screenshot is OK (the finding)", () => {
    const dir = folder();
    const a = bootAsItWas(dir);
    provision(a);
    expect(verdict(a, code(0))).toBe("OK");
    attack(dir);
    expect(verdict(bootAsItWas(dir), code(1800))).toBe("OK");
  });

  it("on the sealed folder: the clock is untrusted, the screenshot is not OK, the device says why and logs it", () => {
    const dir = folder();
    const a = bootNow(dir);
    provision(a);
    expect(verdict(a, code(0))).toBe("OK");
    a.close();
    attack(dir);
    const b = bootNow(dir);
    expect(b.app.time().trusted).toBe(false);
    expect(verdict(b, code(1800))).toBe("CLOCK_NOT_SET");
    expect(verdict(b, code(0))).toBe("CLOCK_NOT_SET"); // nothing is OK until a signed TIME
    const warning = b.lines.find((l) => /^warning: the flash folder/.test(l));
    expect(warning).toMatch(/\.rtc: changed or rolled back/);
    expect(warning).toMatch(/clock\.floor: missing/);
    expect(warning).toMatch(/audit\.\d+: missing/);
    expect(b.lines.join("\n")).toContain("TAMPER");
    expect(b.app.audit.entries().some((e) => e.source === 6)).toBe(true); // the tamper record, in the log that is left
    // The edited .rtc is kept aside for the operator, never read again.
    expect(readdirSync(join(dir, "quarantine")).length).toBe(1);
    // A signed TIME restores trust; a restart afterwards is clean.
    b.app.setTime(now(), world.rootKey.kid, true);
    expect(verdict(b, code(0))).toBe("OK");
    b.close();
    const c = bootNow(dir);
    expect(c.lines.filter((l) => /^warning/.test(l))).toEqual([]);
    expect(verdict(c, code(0))).toBe("OK");
    expect(verdict(c, code(1800))).toBe("EXPIRED");
  });
});

describe("attack 2: older copies of .rtc, clock.floor and the audit pages copied back, restart", () => {
  // The agency once set the clock 30 minutes behind (a wrong laptop clock), then set it right; the
  // attacker kept the files of that half hour and copies them back.
  function run(boot: (dir: string) => Booted): string {
    const dir = folder();
    const old = mkdtempSync(join(tmpdir(), "pindai-seal-old-"));
    const a = boot(dir);
    provision(a, now() - 1800);
    a.app.scanText(code(1800)); // a code scanned in that half hour: floor and log at that time
    const kept = [".rtc", "clock.floor", ...auditPages(dir)].filter((f) => existsSync(join(dir, f)));
    for (const f of kept) copyFileSync(join(dir, f), join(old, f));
    a.app.setTime(now(), world.rootKey.kid, true);
    expect(verdict(a, code(0))).toBe("OK");
    a.close();
    for (const f of auditPages(dir)) rmSync(join(dir, f));
    for (const f of kept) copyFileSync(join(old, f), join(dir, f));
    return verdict(boot(dir), code(1800));
  }

  it("on the folder as it was: OK (the finding)", () => {
    expect(run(bootAsItWas)).toBe("OK");
  });

  it("on the sealed folder: each rolled-back file fails its check, CLOCK_NOT_SET", () => {
    expect(run(bootNow)).toBe("CLOCK_NOT_SET");
  });
});

describe("attack 3: clock.floor deleted alone", () => {
  it("on the folder as it was it goes unnoticed; sealed, the clock is untrusted until a signed TIME", () => {
    const dir1 = folder();
    const a = bootAsItWas(dir1);
    provision(a);
    rmSync(join(dir1, "clock.floor"));
    expect(bootAsItWas(dir1).app.time().trusted).toBe(true);

    const dir2 = folder();
    const b = bootNow(dir2);
    provision(b);
    b.close();
    rmSync(join(dir2, "clock.floor"));
    const c = bootNow(dir2);
    expect(c.app.time().trusted).toBe(false);
    c.close();
    expect(bootNow(dir2).app.time().trusted, "still untrusted after another restart").toBe(false);
  });
});

describe("the seal itself", () => {
  it("a seal removed, or one made with another key, sets the whole folder aside: the device starts as new", () => {
    for (const harm of ["remove", "forge"]) {
      const dir = folder();
      const a = bootNow(dir);
      provision(a);
      const id = hex(a.app.identity.id);
      a.close();
      const seal = readFileSync(join(dir, SEAL_FILE), "utf8");
      if (harm === "remove") rmSync(join(dir, SEAL_FILE));
      else writeFileSync(join(dir, SEAL_FILE), seal.replace(/"gen":\d+/, '"gen":1'));
      const b = bootNow(dir);
      expect(b.lines.find((l) => /^warning: the flash folder/.test(l)), harm).toMatch(harm === "remove" ? /seal file is missing/ : /seal does not verify/);
      expect(hex(b.app.identity.id), harm).not.toBe(id);
      expect(b.app.keysets.current, harm).toBeUndefined();
      expect(b.app.time().trusted, harm).toBe(false);
    }
  });

  it("a file added to the folder is not read: set aside and reported", () => {
    const dir = folder();
    const a = bootNow(dir);
    provision(a);
    a.close();
    writeFileSync(join(dir, "tB0"), "planted table");
    const b = bootNow(dir);
    expect(b.lines.find((l) => /^warning: the flash folder/.test(l))).toMatch(/tB0: not written by this device/);
    expect(existsSync(join(dir, "tB0"))).toBe(false);
  });

  it("a file changed while the device runs is caught at its next read: the clock is untrusted from then", () => {
    const dir = folder();
    const a = bootNow(dir);
    provision(a);
    expect(verdict(a, code(0))).toBe("OK");
    const page = auditPages(dir)[0];
    writeFileSync(join(dir, page), new Uint8Array(16));
    a.app.scanText(code(0)); // the log's next write reads its page
    expect(a.lines.some((l) => l.includes(page + ": changed while running"))).toBe(true);
    expect(a.app.time().trusted).toBe(false);
  });

  it("a write cut by a power loss between its steps is never taken for tampering", () => {
    // A write is: the seal with both hashes, the file, the seal with the new hash alone. The file's
    // step is made to fail (its "~" half is a folder), so the folder is left as a cut there leaves it.
    const dir = folder();
    const a = bootNow(dir);
    provision(a);
    a.close();
    const oldFile = readFileSync(join(dir, "clock.floor"));
    mkdirSync(join(dir, "~clock.floor"));
    expect(() => sealedFolder(dir).storage.write("clock.floor", new Uint8Array(16).fill(7), 0)).toThrow();
    rmSync(join(dir, "~clock.floor"), { recursive: true });
    const midSeal = readFileSync(join(dir, SEAL_FILE));
    expect(sealedFolder(dir).problems, "cut after the first seal: the old file").toEqual([]);
    const s = sealedFolder(dir);
    s.storage.write("clock.floor", new Uint8Array(16).fill(7), 0);
    expect(s.generation()).toBeGreaterThan(2);
    writeFileSync(join(dir, SEAL_FILE), midSeal);
    expect(sealedFolder(dir).problems, "cut after the file: the new file under the first seal").toEqual([]);
    // And neither is a way to roll back: after the write completes, the old file is refused.
    sealedFolder(dir).storage.write("clock.floor", new Uint8Array(16).fill(8), 0);
    writeFileSync(join(dir, "clock.floor"), oldFile);
    expect(sealedFolder(dir).problems).toEqual(["clock.floor: changed or rolled back"]);
  });
});
