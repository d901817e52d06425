// The trusted device (issue 10): every attack of the review tried again the
// way an outsider at the device's ports would, and shown to fail; the admin
// protocol's guarantees; power cuts at every byte of the new flash writes.
import { describe, expect, it } from "vitest";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { ed } from "../host/issuer/ed";
import { ed25519PublicKey, ed25519Sign } from "../firmware/core/ed25519-sign";
import { sha256 } from "../firmware/core/sha256";
import { DeviceIdentity, IDENTITY_FILE } from "../firmware/app/identity";
import { ReplayStore, REPLAY_PREFIX } from "../firmware/app/replay-store";
import { FlashNumber } from "../firmware/app/flash-record";
import { checkAnswer, DeviceClient, DeviceError, memoryLink, signedCommand } from "../host/issuer/device-client";
import { issuePresentation } from "../host/issuer/issuer";
import { SimDevice } from "../sim/device";
import { PowerCut, SimFlash } from "../sim/flash";
import { HOLDER, makeWorld } from "../sim/world";
import { T0, makeKey } from "./support/fixtures";
import { nodeRandom } from "../firmware/targets/node/random";

const BUILD = T0 - 86400 * 30;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));

function provisioned(replay = 2, opts: { flash?: SimFlash; world?: ReturnType<typeof makeWorld> } = {}) {
  const world = opts.world ?? makeWorld(T0, replay);
  const config = { roots: world.roots, buildTime: BUILD, version: "t", lang: "en" as const, clearAfterMs: 60_000, flash: opts.flash };
  const d = new SimDevice(config);
  d.provision(world, T0);
  const code = (iat = d.rtc.seconds()) => issuePresentation(world.qrSigner, HOLDER, { iat });
  return { d, world, config, code };
}

/** ID and NONCE as an attacker would ask for them, then a signed line for that device and nonce. */
function signedLine(d: SimDevice, key: { secretKey: Uint8Array; kid: Uint8Array }, name: string, arg?: number) {
  const id = unhex(d.admin("ID").split(" ")[1]);
  const nonce = unhex(d.admin("NONCE").slice(3));
  return signedCommand(key, id, nonce, name, arg);
}

describe("the device's own key", () => {
  it("SHA-256 matches FIPS 180-4 examples and @noble/hashes", () => {
    expect(hex(sha256(new Uint8Array(0)))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex(sha256(Buffer.from("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex(sha256(Buffer.from("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    for (let n = 0; n < 300; n += 7) {
      const m = new Uint8Array(n).map((_, i) => (i * 131 + n) & 255);
      expect(hex(sha256(m))).toBe(hex(nobleSha256(m)));
    }
  });

  it("Ed25519 signing matches RFC 8032 section 7.1 and @noble/ed25519", () => {
    const seed = unhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
    const pub = ed25519PublicKey(seed);
    expect(hex(pub)).toBe("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
    expect(hex(ed25519Sign(seed, pub, unhex("72")))).toBe(
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    );
    for (let i = 0; i < 40; i++) {
      const s = ed.utils.randomSecretKey();
      const m = new Uint8Array(i * 5).map((_, j) => j ^ i);
      expect(hex(ed25519Sign(s, ed25519PublicKey(s), m))).toBe(hex(ed.sign(m, s)));
    }
  });

  it("is made on first boot, kept across reboots, and its id is its kid", () => {
    const { d, config } = provisioned();
    const [, id, pub] = d.admin("ID").split(" ");
    expect(id).toBe(hex(nobleSha256(unhex(pub)).slice(0, 8)));
    expect(d.reboot(config).admin("ID")).toBe(`OK ${id} ${pub}`);
    expect(new SimDevice(config).admin("ID")).not.toBe(`OK ${id} ${pub}`); // another device, another key
  });

  it("a power cut at any byte of its first write: the next boot has a whole key (the torn one is never used)", () => {
    for (let cut = 0; cut <= 68; cut++) {
      const flash = new SimFlash();
      flash.cutAfter = cut;
      let made: DeviceIdentity | undefined;
      try {
        made = new DeviceIdentity(flash, nodeRandom);
      } catch (e) {
        expect(e).toBeInstanceOf(PowerCut);
      }
      flash.cutAfter = undefined;
      const after = new DeviceIdentity(flash, nodeRandom);
      if (made !== undefined) expect(hex(after.publicKey)).toBe(hex(made.publicKey)); // the write completed
      expect(hex(after.publicKey)).toBe(hex(ed25519PublicKey(flash.files[IDENTITY_FILE].slice(0, 32))));
      const msg = new Uint8Array([cut]);
      expect(ed.verify(after.sign(msg), msg, after.publicKey)).toBe(true);
    }
  });
});

describe("signed administration: the attacks of the review, tried again", () => {
  it("unsigned TIME, LANG, LOG, WIPE are refused; the clock does not move", () => {
    const { d, code } = provisioned();
    for (const line of [`TIME ${T0 - 3600}`, "LANG id", "LOG", "WIPE", "CONFIG x"]) expect(d.admin(line)).toMatch(/^ERR SIGNATURE_REQUIRED/);
    expect(d.rtc.seconds()).toBeGreaterThanOrEqual(T0);
    // the hour-old screenshot stays red
    const old = code(T0 - 3600);
    expect(d.scan(old).color).toBe("red");
    expect(d.app.lastOutcome?.verdict).toBe("EXPIRED");
  });

  it("a recorded signed command works neither twice nor on another device", () => {
    const { d, world } = provisioned();
    const line = signedLine(d, world.adminKey, "TIME", T0 + 60);
    expect(d.admin(line)).toMatch(new RegExp(`^OK TIME ${T0 + 60} [0-9a-f]+$`));
    expect(d.admin(line)).toMatch(/^ERR STALE_NONCE/); // replayed as recorded
    d.admin("NONCE"); // even with a nonce outstanding, it is another one
    expect(d.admin(line)).toMatch(/^ERR STALE_NONCE/);
    const other = provisioned(2, { world }).d; // the same agency's other device
    other.admin("NONCE");
    expect(other.admin(line)).toMatch(/^ERR (WRONG_DEVICE|STALE_NONCE)/);
    // the same device id and nonce, but a command for another device: WRONG_DEVICE
    const otherId = unhex(other.admin("ID").split(" ")[1]);
    const nonce = unhex(d.admin("NONCE").slice(3));
    expect(d.admin(signedCommand(world.adminKey, otherId, nonce, "TIME", T0 + 90))).toMatch(/^ERR WRONG_DEVICE/);
  });

  it("a command signed by a QR-only key, a card key, an unknown key or with a bad signature is refused", () => {
    const { d, world } = provisioned();
    expect(d.admin(signedLine(d, world.qrSigner, "TIME", T0 + 60))).toMatch(/^ERR NOT_ADMIN/);
    expect(d.admin(signedLine(d, world.cardSigner, "TIME", T0 + 60))).toMatch(/^ERR NOT_ADMIN/);
    expect(d.admin(signedLine(d, makeKey(["admin"]).signer, "TIME", T0 + 60))).toMatch(/^ERR UNKNOWN_KEY/);
    const good = signedLine(d, world.adminKey, "TIME", T0 + 60);
    const b = unhex(good.slice(6));
    b[b.length - 40] ^= 1; // one bit of the signature's R
    expect(d.admin("ADMIN " + hex(b))).toMatch(/^ERR BAD_SIGNATURE/);
    expect(d.admin("ADMIN " + "ab".repeat(30))).toMatch(/^ERR (STALE_NONCE|MALFORMED)/);
    expect(d.rtc.seconds()).toBeLessThan(T0 + 50);
  });

  it("a nonce serves one command within two minutes", async () => {
    const { d, world } = provisioned();
    const id = unhex(d.admin("ID").split(" ")[1]);
    const nonce = unhex(d.admin("NONCE").slice(3));
    const realNow = Date.now;
    Date.now = () => realNow() + 121_000; // node timers' millis follow performance.now; move both
    const perf = performance.now.bind(performance);
    performance.now = () => perf() + 121_000;
    try {
      expect(d.admin(signedCommand(world.adminKey, id, nonce, "TIME", T0 + 60))).toMatch(/^ERR STALE_NONCE/);
    } finally {
      Date.now = realNow;
      performance.now = perf;
    }
  });

  it("lines longer than the limit are refused before any work", () => {
    const { d } = provisioned();
    const replies: string[] = [];
    const serial = { write: (b: Uint8Array) => replies.push(Buffer.from(b).toString()), onData: (h: (b: Uint8Array) => void) => (feed = h), close: () => {} };
    let feed: (b: Uint8Array) => void = () => {};
    d.connectAdmin(serial);
    const chunk = new Uint8Array(65536).fill(0x61);
    for (let i = 0; i < 16; i++) feed(chunk); // 1 MB of hex with no end of line
    feed(Buffer.from("\nVERSION\n"));
    expect(replies).toEqual(["ERR LINE_TOO_LONG a line holds at most 40000 characters\r\n", "OK pindai t\r\n"]);
  });
});

describe("a clock that cannot be rolled back", () => {
  it("an RTC set below the floor is CLOCK_NOT_TRUSTED, never green", () => {
    const { d, code } = provisioned();
    const fresh = code(T0 - 3600); // a screenshot from an hour ago
    d.scan(code()); // a verdict logged at T0: the floor is T0 now
    d.rtc.set(T0 - 3590); // moved back behind the device's back (a glitch, a probe on the RTC's pins)
    d.clear();
    expect(d.screen.warnings).toEqual(["Device clock not trusted"]);
    expect(d.screen.color).toBe("amber");
    expect(d.scan(fresh).color).toBe("amber"); // a device fault, never green (and never the holder's red: issue 20)
    expect(d.app.lastOutcome?.verdict).toBe("CLOCK_NOT_SET");
  });

  it("after the RTC loses power only a root's signed time restores trust; every change is logged", () => {
    const { d, world, code } = provisioned();
    d.scan(code());
    d.rtc.powerLoss();
    expect(d.admin(`TIME ${T0}`)).toMatch(/^ERR SIGNATURE_REQUIRED/);
    expect(d.signed(world.adminKey, "TIME", T0 + 5)).toMatch(/^ERR CLOCK_NOT_TRUSTED/); // no key's window can be judged now
    d.clear();
    expect(d.screen.warnings).toEqual(["Device clock not trusted"]);
    expect(d.signed(world.rootKey, "TIME", T0 + 5)).toMatch(new RegExp(`^OK TIME ${T0 + 5} `));
    d.clear();
    expect(d.screen.warnings).toEqual([]);
    expect(d.signed(world.adminKey, "TIME", T0 - 7200)).toMatch(/^ERR BELOW_FLOOR/); // below the floor: a root's only
    const times = d.app.audit.entries().filter((e) => e.source === 2);
    expect(times.map((e) => e.time)).toEqual([T0, T0 + 5]);
    expect(times[1].kid).toBe(hex(world.rootKey.kid)); // who set it
    expect(Number.parseInt(times[1].nikHash.slice(0, 8), 16)).toBe(0); // the RTC read 0 before (power lost)
  });

  it("a root (recovery) may set a time below the floor and the key set's issue time, never below the build time", () => {
    const { d, world } = provisioned();
    expect(d.signed(world.adminKey, "TIME", T0 + 7200)).toMatch(new RegExp(`^OK TIME ${T0 + 7200} `)); // set two hours too far
    expect(d.signed(world.adminKey, "TIME", T0 + 10)).toMatch(/^ERR BELOW_FLOOR/);
    expect(d.signed(world.rootKey, "TIME", T0 + 10)).toMatch(new RegExp(`^OK TIME ${T0 + 10} `));
    expect(d.signed(world.adminKey, "TIME", T0 - 7200)).toMatch(/^ERR BELOW_FLOOR/); // the key set was issued at T0 - 3600
    expect(d.signed(world.rootKey, "TIME", T0 - 7200)).toMatch(new RegExp(`^OK TIME ${T0 - 7200} `)); // a root may (a set dated wrong)
    expect(d.signed(world.rootKey, "TIME", BUILD - 1)).toMatch(/^ERR BELOW_FLOOR/);
  });

  it("the floor survives a reboot, and a torn floor write keeps the old floor", () => {
    const { d, config, world } = provisioned();
    d.signed(world.adminKey, "TIME", T0 + 1000);
    const again = d.reboot(config);
    again.rtc.set(T0 + 500);
    again.clear();
    expect(again.screen.warnings).toEqual(["Device clock not trusted"]);
    for (let cut = 0; cut <= 12; cut++) {
      const flash = new SimFlash();
      const f = new FlashNumber(flash, "clock.floor");
      f.set(T0);
      f.set(T0 + 1);
      flash.cutAfter = cut;
      try {
        f.set(T0 + 2);
      } catch (e) {
        expect(e).toBeInstanceOf(PowerCut);
      }
      flash.cutAfter = undefined;
      const after = new FlashNumber(flash, "clock.floor").get();
      expect(after, `cut after ${cut}`).toBe(cut < 12 ? T0 + 1 : T0 + 2);
    }
  });
});

describe("replay that survives power cuts", () => {
  it("a reboot between two scans of the same code gives REPLAYED, and the guard is told to ask for a fresh code", () => {
    const { d, config, code } = provisioned(2);
    const c = code();
    expect(d.scan(c).color).toBe("green");
    const after = d.reboot(config);
    const s = after.scan(c);
    expect(after.app.lastOutcome?.verdict).toBe("REPLAYED");
    expect(s.lines).toEqual(["Code already used: ask for a fresh code"]);
  });

  it("no code is pushed out by fewer than 1,000 other codes", () => {
    const store = new ReplayStore(new SimFlash());
    store.remember("aa".repeat(8), T0 + 120);
    for (let i = 0; i < 1023; i++) store.remember(i.toString(16).padStart(16, "0"), T0 + 120);
    expect(store.seen("aa".repeat(8), T0)).toBe(true);
  });

  it("a power cut at any byte of a replay record: the code is remembered or the record is dropped, never misread", () => {
    const base = new SimFlash();
    const s = new ReplayStore(base);
    s.remember("01".repeat(8), T0 + 100);
    for (let cut = 0; cut <= 20; cut++) {
      const flash = new SimFlash();
      for (const [k, v] of Object.entries(base.files)) flash.files[k] = v.slice();
      const store = new ReplayStore(flash);
      flash.cutAfter = cut;
      try {
        store.remember("02".repeat(8), T0 + 100);
      } catch (e) {
        expect(e).toBeInstanceOf(PowerCut);
      }
      flash.cutAfter = undefined;
      const after = new ReplayStore(flash);
      expect(after.seen("01".repeat(8), T0)).toBe(true);
      expect(after.seen("02".repeat(8), T0)).toBe(cut >= 20);
      after.remember("03".repeat(8), T0 + 100); // the next record goes on after the torn one
      expect(new ReplayStore(flash).seen("03".repeat(8), T0)).toBe(true);
    }
    expect(Object.keys(base.files)).toEqual([REPLAY_PREFIX + "0"]);
  });
});

describe("signed answers", () => {
  it("STATUS and LOG are signed by the device; a forged or replayed answer is caught", async () => {
    const { d, world, code } = provisioned();
    for (let i = 0; i < 40; i++) d.scan(i % 2 === 0 ? "junk " + i : code()); // more than one page
    const client = new DeviceClient(memoryLink((l) => d.admin(l)), world.adminKey);
    const s = await client.status();
    expect(s).toMatchObject({ keyset: 1, trusted: true, version: "t", lang: "en" });
    const pages: number[] = [];
    const logs = await client.logs((got) => pages.push(got));
    expect(logs).toHaveLength(41);
    expect(pages).toEqual([32, 41]);
    expect(logs[0]).toMatchObject({ seq: 1, verdict: "OK", source: "time" });
    // An answer recorded once does not pass for another challenge, nor for another device's key.
    const challenge = new Uint8Array(16).fill(1);
    const answer = d.admin("STATUS " + hex(challenge)).slice(3);
    expect(() => checkAnswer(answer, client.id, client.publicKey, challenge, "STATUS")).not.toThrow();
    expect(() => checkAnswer(answer, client.id, client.publicKey, new Uint8Array(16).fill(2), "STATUS")).toThrow(/another challenge/);
    const other = provisioned().d;
    const [, oid, opub] = other.admin("ID").split(" ");
    expect(() => checkAnswer(answer, unhex(oid), unhex(opub), challenge, "STATUS")).toThrow(/signed by/);
    const tampered = answer.slice(0, 60) + (answer[60] === "0" ? "1" : "0") + answer.slice(61);
    expect(() => checkAnswer(tampered, client.id, client.publicKey, challenge, "STATUS")).toThrow(DeviceError);
  });

  it("log clear and wipe need a signature, leave a record of who did it, and keep the floors", async () => {
    const { d, world, code } = provisioned();
    d.scan(code());
    expect(d.admin("LOGCLEAR")).toMatch(/^ERR SIGNATURE_REQUIRED/);
    const client = new DeviceClient(memoryLink((l) => d.admin(l)), world.adminKey);
    expect(await client.clearLog()).toBe("LOGCLEAR 2");
    const left = d.app.audit.entries();
    expect(left.map((e) => [e.source, e.kid, Number.parseInt(e.nikHash.slice(0, 8), 16)])).toEqual([[3, hex(world.adminKey.kid), 2]]);
    const id = d.admin("ID");
    expect(await client.wipe()).toBe("WIPE");
    expect(d.admin("STATUS")).toMatch(/^OK - 1 /); // no key set; the clock still trusted
    expect(d.admin("ID")).toBe(id); // the device keeps its identity
    expect(d.app.floor()).toBeGreaterThanOrEqual(T0);
    expect(d.admin("KEYSET " + hex(world.keysetBytes))).toBe("OK INSTALLED 1");
  });
});
