// The device application through every verdict and warning, driven by the
// simulator, asserting what the screen shows and what the LED/buzzer do.
import { describe, expect, it } from "vitest";
import { base45Decode, base45Encode } from "../firmware/core/base45";
import { issuePresentation } from "../host/issuer/issuer";
import { SimDevice } from "../sim/device";
import { HOLDER, makeWorld } from "../sim/world";
import { T0 } from "./support/fixtures";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimFlash } from "../sim/flash";
import { VirtualRtc } from "../sim/rtc";
import { SimDisplay, SimIndicator } from "../sim/screen";
import { startDevice } from "../firmware/targets/device";
import { nodeTimers } from "../firmware/targets/node/timers";
import { nodeRandom } from "../firmware/targets/node/random";
import { dirStorage } from "../firmware/targets/node/dir-storage";
import { FLOOR_FILE } from "../firmware/app/clock";

const BUILD = T0 - 86400 * 30;

function device(replay = 1, o: { provision?: boolean; clearAfterMs?: number; lang?: "id" | "en" } = {}) {
  const world = makeWorld(T0, replay);
  const d = new SimDevice({ roots: world.roots, buildTime: BUILD, version: "test", clearAfterMs: o.clearAfterMs ?? 60_000, lang: o.lang ?? "en" });
  if (o.provision !== false) {
    expect(d.admin("KEYSET " + Buffer.from(world.keysetBytes).toString("hex"))).toBe("OK INSTALLED 1");
    expect(d.signed(world.rootKey, "TIME", T0)).toMatch(new RegExp(`^OK TIME ${T0} [0-9a-f]+$`)); // an untrusted clock takes only a root's TIME
  }
  const code = (opts: { iat?: number; ttl?: number } = {}, idn = HOLDER) =>
    issuePresentation(world.qrSigner, idn, { iat: opts.iat ?? d.rtc.seconds(), ttl: opts.ttl });
  return { d, world, code };
}

const last = (d: SimDevice) => d.indicator.events[d.indicator.events.length - 1];

describe("verdict screens", () => {
  it("OK: green, one short beep, name, date of birth, masked NIK, issuer, and nothing more", () => {
    const { d, code } = device();
    const s = d.scan(code());
    expect(s.color).toBe("green");
    expect(s.title).toBe("VALID");
    expect(s.lines).toEqual(["Name: Siti Aminah", "Born: 05-12-1990", "NIK: ************0001", "Issuer: pindai demo issuer"]); // the date as people read it here
    // The panel's rows: the whole name apart, the NIK's last 4 only; the audit record's number in the corner.
    expect(s.name).toBe("Siti Aminah");
    expect(s.facts).toEqual(["Born 05-12-1990", "NIK **0001", "pindai demo issuer"]);
    expect(s.corner).toBe("#" + d.app.audit.entries()[d.app.audit.entries().length - 1].seq);
    expect(s.left).toBe(s.total); // the countdown starts full, in whole seconds of the display time
    expect(s.total).toBe(Math.ceil(d.app.displayMs() / 1000));
    expect(s.warnings).toEqual([]);
    expect(last(d)).toBe("ok");
    d.clear();
    expect(d.screen.lines).toEqual(["Show a QR code or tap an ID card", "Device time: 15-01-2027 15:00 WIB"]); // T0 is 2027-01-15 08:00 UTC
    expect(d.screen.facts).toEqual(["Show a QR code or tap an ID card", "15-01-2027 15:00 WIB", "Keys v1 (0 d)"]);
    expect(d.screen.corner).toBe("ID " + Buffer.from(d.app.identity.id).toString("hex").slice(-4));
  });

  it("Bahasa Indonesia is the default", () => {
    const world = makeWorld(T0);
    const d = new SimDevice({ roots: world.roots, buildTime: BUILD, version: "t" });
    expect(d.screen.title).toBe("TAK SIAP"); // not ready until provisioned
    d.provision(world, T0);
    d.clear();
    expect(d.screen.title).toBe("SIAP");
    expect(d.scan(issuePresentation(world.qrSigner, HOLDER, { iat: T0 })).title).toBe("SAH");
    expect(d.admin("LANG en")).toMatch(/^ERR SIGNATURE_REQUIRED/);
    expect(d.signed(world.adminKey, "CONFIG", new Map([[1, "en"]]))).toMatch(/^OK CONFIG en 10000 [0-9a-f]+$/);
    d.clear();
    expect(d.screen.title).toBe("READY");
    // kept in flash: a reboot comes back in English
    expect(d.reboot({ roots: world.roots, buildTime: BUILD, version: "t" }).screen.title).toBe("READY");
  });

  it("each refusal is red with a long beep and only the reason in plain words", () => {
    const { d, code, world } = device(2);
    const cases: Array<[string, string]> = [];
    const good = code();
    const raw = base45Decode(good.slice(4));
    if (!raw.ok) throw new Error("decode");
    raw.bytes[raw.bytes.length - 1] ^= 1;
    cases.push(["PD1:" + base45Encode(raw.bytes), "Forged signature or altered code"]);
    cases.push(["hello world", "Not a pindai ID code"]);
    cases.push(["PD1:ABC", "Damaged or incomplete code"]);
    cases.push([code({ ttl: 200 }), "Code validity too long"]);
    cases.push([code({ iat: T0 - 3600 }), "Code expired, ask for a fresh one"]);
    cases.push([issuePresentation(makeWorld(T0).qrSigner, HOLDER, { iat: T0 }), "Unknown issuer"]);
    cases.push([issuePresentation(world.cardSigner, HOLDER, { iat: T0 }), "Issuer key not valid"]);
    cases.push([code({ iat: T0 + 3600 }), "Code not yet valid (check clock)"]); // last: it moves no floor (below)
    for (const [text, reason] of cases) {
      d.clear();
      const s = d.scan(text);
      expect(s.color, reason).toBe("red");
      expect(s.title).toBe("REJECTED");
      expect(s.lines).toEqual([reason]);
      expect(s.lines.join(" ")).not.toContain("Siti");
      expect(last(d)).toBe("fail");
    }
    // A code from an hour ahead is not OK, so its iat moves no floor (issue 21): the clock stays trusted.
    d.clear();
    expect(d.screen.warnings).toEqual([]);
    expect(d.signed(world.adminKey, "TIME", T0 + 3600)).toMatch(new RegExp(`^OK TIME ${T0 + 3600} `));
    // replay reject: the second scan of an accepted code
    const fresh = code();
    d.clear();
    expect(d.scan(fresh).color).toBe("green");
    d.clear();
    const again = d.scan(fresh);
    expect(again.lines).toEqual(["Code already used: ask for a fresh code"]);
    expect(d.app.lastOutcome?.verdict).toBe("REPLAYED");
  });

  it("replay warn: accepted again, with a distinct amber note and a warning signal", () => {
    const { d, code } = device(1);
    const c = code();
    d.scan(c);
    d.clear();
    const s = d.scan(c);
    expect(s.color).toBe("green");
    expect(s.warnings).toEqual(["This code was used before"]);
    expect(last(d)).toBe("warn");
  });

  it("the same code seen in consecutive camera frames gives one verdict, not a replay", () => {
    const { d, code } = device(2);
    const c = code();
    d.scan(c);
    d.scan(c);
    d.scan(c);
    expect(d.screen.color).toBe("green");
    expect(d.app.audit.entries().filter((e) => e.source === 0)).toHaveLength(1);
  });

  it("no key set: never green, with the warning on the idle screen", () => {
    const { d, code, world } = device(1, { provision: false });
    d.rtc.set(T0); // an RTC that kept its time: still no keys
    d.clear();
    expect(d.screen.warnings).toEqual(["No issuer keys installed"]);
    // A device that cannot verify never says READY: amber NOT READY, call the administrator.
    expect([d.screen.kind, d.screen.color, d.screen.title, d.screen.lines[0]]).toEqual(["fault", "amber", "NOT READY", "Call administrator"]);
    expect(d.signed(world.rootKey, "TIME", T0)).toMatch(new RegExp(`^OK TIME ${T0} `)); // a root may set the time before any key set
    expect(d.screen.warnings).toEqual(["No issuer keys installed"]);
    expect(d.screen.title).toBe("NOT READY");
    const s = d.scan(code());
    // The device's fault, not the holder's: amber, never the holder's red.
    expect([s.kind, s.color, s.title]).toEqual(["fault", "amber", "NOT READY"]);
    expect(s.lines).toEqual(["Call administrator", "No issuer keys installed"]);
    expect(last(d)).toBe("fail"); // never the green LED
    expect(d.app.lastOutcome?.verdict).toBe("NO_KEYSET");
  });

  it("clock never set, or set before the build time: never green", () => {
    const { d, code, world } = device(1, { provision: false });
    d.admin("KEYSET " + Buffer.from(world.keysetBytes).toString("hex"));
    expect(d.screen.warnings).toEqual(["Device clock not trusted"]);
    expect(d.scan(code({ iat: 0 })).lines).toEqual(["Call administrator", "Device clock not set"]);
    expect(d.screen.color).toBe("amber");
    d.clear();
    expect(d.signed(world.rootKey, "TIME", BUILD - 10)).toMatch(/^ERR BELOW_FLOOR/); // not even a root goes below the build time
    d.rtc.set(BUILD - 10); // an RTC that came up wrong
    d.clear();
    expect(d.screen.warnings).toEqual(["Device clock not trusted"]);
    expect(d.scan(code({ iat: BUILD - 10 })).color).toBe("amber"); // CLOCK_NOT_SET: the device's fault
    d.clear();
    expect(d.signed(world.adminKey, "TIME", T0)).toMatch(/^ERR CLOCK_NOT_TRUSTED/); // an admin key's window cannot be judged now
    expect(d.signed(world.rootKey, "TIME", T0)).toMatch(new RegExp(`^OK TIME ${T0} `));
    expect(d.screen.warnings).toEqual([]);
    expect(d.scan(code()).color).toBe("green");
  });

  it("a stale key set still verifies, with its warning", () => {
    const { d, code } = device();
    d.rtc.advance(31 * 86400);
    d.clear();
    expect(d.screen.warnings).toEqual(["Issuer keys need updating"]);
    const s = d.scan(code());
    expect(s.color).toBe("green");
    expect(s.warnings).toEqual(["Issuer keys need updating"]);
  });

  it("personal data leaves the screen after the configured time", async () => {
    const { d, code } = device(1, { clearAfterMs: 80 });
    d.scan(code());
    expect(d.screen.lines.join(" ")).toContain("Siti Aminah");
    // The clear timer fires on its own (real timers): wait for it, with a deadline, not a fixed time.
    const deadline = Date.now() + 10_000;
    while (d.app.state !== "idle" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(d.app.state).toBe("idle");
    expect(d.screen.title).toBe("READY");
    expect(JSON.stringify(d.screen)).not.toContain("Siti");
    expect(last(d)).toBe("off");
  });

  it("cards: genuine green with the serial; clone, expired, revoked red; all logged like QR verdicts", async () => {
    const { d, world } = device();
    let s = await d.tap(world.cards.genuine);
    const titles = d.display.history.map((x) => x.title);
    expect(titles.slice(-2)).toEqual(["Checking...", "VALID"]); // idle -> scanning -> verdict
    expect(s.color).toBe("green");
    expect(s.lines).toContain("Card: KTP-0001");
    const reasons: string[] = [];
    for (const c of [world.cards.clone, world.cards.expired, world.cards.revoked]) {
      d.clear();
      s = await d.tap(c);
      expect(s.color).toBe("red");
      reasons.push(s.lines[0]);
    }
    expect(reasons).toEqual(["Card is not genuine (a copy)", "Card has expired", "This identity has been revoked"]);
    d.clear();
    s = await d.tap({ ...world.cards.genuine, removeAfterReads: 0 });
    expect(s.lines).toEqual(["Card not read, tap again"]);
    const log = d.app.audit.entries();
    expect(log.filter((e) => e.source === 1)).toHaveLength(5);
  });
});

describe("audit log and service line", () => {
  it("logs time, verdict, kid and a keyed NIK hash, never the name", () => {
    const { d, code } = device();
    d.scan(code());
    d.clear();
    d.scan("junk");
    const log = d.app.audit.entries();
    expect(log.map((e) => [e.seq, e.verdict, e.source])).toEqual([[1, "OK", 2], [2, "OK", 0], [3, "NOT_A_CREDENTIAL", 0]]); // the signed TIME, then the scans
    const e = log[1];
    expect(e.time).toBe(T0);
    expect(e.kid).toMatch(/^[0-9a-f]{16}$/);
    expect(e.nikHash).toMatch(/^[0-9a-f]{16}$/);
    expect(e.nikHash).not.toBe("0000000000000000");
    const raw = JSON.stringify(d.flash.files);
    expect(raw).not.toContain(Buffer.from("Siti").toString("hex"));
    expect(raw).not.toContain(Buffer.from("3201014512900001").toString("hex"));
  });

  it("the key set and the log survive a reboot", () => {
    const { d, code, world } = device();
    d.scan(code());
    const d2 = d.reboot({ roots: world.roots, buildTime: BUILD, version: "test", lang: "en" });
    expect(d2.admin("STATUS")).toMatch(/^OK 1 1 - \d+ \d+$/);
    expect(d2.app.audit.entries()).toHaveLength(2);
  });

  it("service line errors are clear", () => {
    const { d } = device();
    expect(d.admin("TIME soon")).toMatch(/^ERR SIGNATURE_REQUIRED/);
    expect(d.admin("KEYSET zz")).toMatch(/^ERR BAD_ARGUMENT/);
    expect(d.admin("KEYSET 00")).toMatch(/^ERR MALFORMED/);
    expect(d.admin("FLY")).toBe("ERR UNKNOWN_COMMAND unknown command FLY");
    expect(d.admin("VERSION")).toBe("OK pindai test");
    expect(d.admin("ADMIN zz")).toMatch(/^ERR MALFORMED/);
  });
});

/** Flash whose reads or writes throw, as a worn chip or a failing driver does (the rest of it is the simulator's flash). */
class FailingFlash extends SimFlash {
  failWrites = false;
  failRead: (name: string) => boolean = () => false;
  override read(name: string): Uint8Array | undefined {
    if (this.failRead(name)) throw new Error("EIO reading " + name);
    return super.read(name);
  }
  override write(name: string, data: Uint8Array, offset: number): void {
    if (this.failWrites) throw new Error("EIO writing " + name);
    super.write(name, data, offset);
  }
}

describe("storage error: a store the verdict depends on cannot be read or written", () => {
  const notReady = (s: { kind?: string; color: string; title: string; lines: string[] }) => [s.kind, s.color, s.title, s.lines];
  const FAULT = ["fault", "amber", "NOT READY", ["Call administrator", "Device storage error"]];

  it("a write that throws (the replay store, the log): amber NOT READY, never OK, and the idle screen says not ready until a reboot on working flash", () => {
    const world = makeWorld(T0, 1);
    const flash = new FailingFlash();
    const config = { roots: world.roots, buildTime: BUILD, version: "test", clearAfterMs: 60_000, lang: "en" as const };
    const d = new SimDevice({ ...config, flash });
    d.provision(world, T0);
    const code = () => issuePresentation(world.qrSigner, HOLDER, { iat: d.rtc.seconds() });
    expect(d.scan(code()).title).toBe("VALID");
    d.clear();
    const logged = d.app.audit.entries().length;
    flash.failWrites = true;
    const fresh = code();
    const s = d.scan(fresh); // verified, but its replay record cannot be kept
    expect(notReady(s)).toEqual(FAULT);
    expect(last(d)).toBe("fail");
    expect(d.app.storageFault()).toBe("write replay.0");
    expect(d.app.lastOutcome?.verdict).toBe("OK"); // the earlier verdict: this one was never shown
    d.clear();
    expect(notReady(d.screen)).toEqual(FAULT); // idle: not ready, with the device time
    expect(d.screen.facts?.[2]).toMatch(/WIB$/);
    // The flash answers again: the device stays not ready (fail closed) and writes nothing more until a reboot.
    flash.failWrites = false;
    expect(notReady(d.scan(code()))).toEqual(FAULT);
    const d2 = d.reboot(config);
    expect(d2.app.audit.entries()).toHaveLength(logged); // nothing was written after the fault
    expect(d2.screen.title).toBe("READY");
    expect(d2.scan(fresh).title).toBe("VALID"); // never shown OK before, so not a replay
  });

  it("a read that throws at boot (the replay store's page): never OK, not ready; the boot counter's flash failing: the amber screen, not a crash", () => {
    const world = makeWorld(T0, 1);
    const flash = new FailingFlash();
    const config = { roots: world.roots, buildTime: BUILD, version: "test", lang: "en" as const };
    const d = new SimDevice({ ...config, flash });
    d.provision(world, T0);
    const code = issuePresentation(world.qrSigner, HOLDER, { iat: T0 });
    expect(d.scan(code).title).toBe("VALID");
    flash.failRead = (name) => name.startsWith("replay.");
    const d2 = d.reboot(config); // a replay store that cannot be read would let that code be green again
    expect(notReady(d2.screen)).toEqual(FAULT);
    expect(notReady(d2.scan(code))).toEqual(FAULT);
    expect(d2.indicator.events).not.toContain("ok");
    // Nothing of the flash can be read: startDevice ends with the amber screen and ERR on the admin line.
    flash.failRead = () => true;
    const display = new SimDisplay();
    const indicator = new SimIndicator();
    expect(() => startDevice({ display, indicator, storage: flash, rtc: new VirtualRtc(T0, 0), timers: nodeTimers(), random: nodeRandom }, { app: config })).toThrow(/^STORAGE_FAILED read /);
    expect(notReady(display.current!)).toEqual(FAULT);
    expect(indicator.events).toEqual(["fail"]);
  });

  it("a record that fails its check and cannot be recovered (both slots of the clock floor): not ready, never OK", () => {
    const world = makeWorld(T0, 1);
    const flash = new SimFlash();
    const config = { roots: world.roots, buildTime: BUILD, version: "test", lang: "en" as const };
    const d = new SimDevice({ ...config, flash });
    d.provision(world, T0);
    expect(d.signed(world.rootKey, "TIME", T0 + 60)).toMatch(/^OK TIME /); // the floor's second slot
    const floor = flash.files[FLOOR_FILE];
    expect(floor.length).toBe(24); // two slots of [seq][u32][crc]
    // One slot torn (a power cut): the other holds the floor, the device is ready.
    floor[5] ^= 0xff;
    const torn = d.reboot(config);
    torn.clear();
    expect(torn.screen.title).toBe("READY");
    expect(torn.app.floor()).toBeGreaterThanOrEqual(T0);
    // Both slots bad: the floor is lost (a clock set back would be trusted): a storage fault.
    floor[17] ^= 0xff;
    const bad = d.reboot(config);
    expect(notReady(bad.screen)).toEqual(FAULT);
    expect(bad.app.storageFault()).toBe("check clock.floor");
    expect(notReady(bad.scan(issuePresentation(world.qrSigner, HOLDER, { iat: bad.rtc.seconds() })))).toEqual(FAULT);
  });

  it("Node's folder storage (pindai run) whose folder is gone: the next code shows NOT READY, never OK", () => {
    const world = makeWorld(T0, 1);
    const dir = join(mkdtempSync(join(tmpdir(), "pindai-storage-")), "flash");
    const config = { roots: world.roots, buildTime: BUILD, version: "test", lang: "en" as const };
    const d = new SimDevice({ ...config, flash: dirStorage(dir) as SimFlash });
    d.provision(world, T0);
    expect(d.scan(issuePresentation(world.qrSigner, HOLDER, { iat: T0 })).title).toBe("VALID");
    d.clear();
    rmSync(dir, { recursive: true }); // the disk went away under the running device
    const s = d.scan(issuePresentation(world.qrSigner, HOLDER, { iat: T0 + 1 }));
    expect(notReady(s)).toEqual(FAULT);
    expect(d.app.storageFault()).toMatch(/^write replay\./);
    expect(d.indicator.events[d.indicator.events.length - 1]).toBe("fail");
  });
});
