// npm run build's device images, run as devices: the Lua image on the stdio
// implementation of its NodeMCU-style HAL under lua5.3 / lua5.4, and the
// Espruino image in a sandbox that offers Espruino's globals and hardware
// objects (Serial1/2, Storage, E, getTime/setTime, pins) and nothing else.
import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { SerialPort } from "serialport";
import { openPtyPair } from "../sim/pty";
import vm from "node:vm";
import { build, type BuildResult } from "../host/build/build";
import { checkEspruino } from "../host/build/espruino-check";
import { ESPRUINO_E } from "./support/espruino";
import { issuePresentation } from "../host/src/issuer";
import { HOLDER, makeWorld } from "../sim/world";
import { haveTool } from "./support/tools";

const NOW = Math.floor(Date.now() / 1000);
const world = makeWorld(NOW, 2, "images");
const rootHex = Buffer.from(world.roots[0].publicKey).toString("hex");
const keysetHex = Buffer.from(world.keysetBytes).toString("hex");
const code = issuePresentation(world.qrSigner, HOLDER, { iat: NOW });
const out = mkdtempSync(join(tmpdir(), "pindai-build-"));
let built: BuildResult;

beforeAll(async () => {
  process.env.SOURCE_DATE_EPOCH = String(NOW - 3600); // built an hour before the clock is set
  built = await build({ roots: [rootHex], version: "test-image" }, out, () => {});
  delete process.env.SOURCE_DATE_EPOCH;
}, 120_000);

describe("npm run build", () => {
  it("writes both images with the root and the build time compiled in", () => {
    const js = readFileSync(built.espruino, "utf8");
    const lua = readFileSync(built.lua, "utf8");
    const kid = Buffer.from(world.roots[0].kid).toString("hex");
    expect(js).toContain(kid);
    expect(lua).toContain(kid);
    expect(built.config.buildTime).toBe(NOW - 3600);
    expect(js).toContain(String(built.config.buildTime));
    expect(checkEspruino(js)).toEqual([]);
    expect(js).toMatch(/^[\x00-\x7f]*$/);
    expect(built.sizes.espruino).toBeLessThan(80_000);
  });

  it("refuses a root that is neither hex nor a file", async () => {
    await expect(build({ roots: ["nonsense"] }, out, () => {})).rejects.toThrow(/neither 64 hex/);
  });
});

for (const bin of ["lua5.3", "lua5.4"]) {
  describe(`the Lua image on ${bin} (stdio HAL)`, () => {
    it("is provisioned over the service line, verifies a scan-engine line, logs it", (ctx) => {
      if (!haveTool(bin)) return ctx.skip();
      const dir = mkdtempSync(join(tmpdir(), "pindai-lua-dev-"));
      const input = [
        "A VERSION",
        "U 1 " + code,
        "W 11000",
        `A TIME ${NOW}`,
        "A KEYSET " + keysetHex,
        "U 1 " + code,
        "W 11000",
        "U 1 " + code,
        "W 10", // scanned lines are verified from a timer (app/scan-queue.ts)
        "A LOG",
      ].join("\n") + "\n";
      const r = spawnSync(bin, [join(process.cwd(), "firmware/targets/lua/stdio-hal.lua"), built.lua], { cwd: dir, input, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout.split("\n");
      expect(lines).toContain("< OK pindai test-image");
      expect(lines).toContain("< OK INSTALLED 1");
      const screens = lines.filter((l) => l.startsWith("[") && !l.includes("SIAP"));
      expect(screens[0]).toMatch(/^\[red\] DITOLAK \| Alat belum diisi kunci penerbit/);
      expect(screens[1]).toBe("[green] SAH | Nama: Siti Aminah | Tgl lahir: 1990-12-05 | NIK: ************0001 | Penerbit: pindai demo issuer");
      expect(screens[2]).toMatch(/^\[red\] DITOLAK \| Kode ini sudah dipakai/);
      expect(lines.filter((l) => l.startsWith("< LOG "))).toHaveLength(3);
      // the flash files are real files next to the image, and no Ed25519 tables (off on Lua) after 22 s of timers
      expect(readFileSync(join(dir, "keyset.0")).length).toBeGreaterThan(100);
      // The audit log's first page: 4 bytes of header and 16 slots, the 3 records written in place.
      const page = readFileSync(join(dir, "audit.0"));
      expect(page.length).toBe(4 + 16 * 32);
      expect(page.subarray(4 + 3 * 32).every((b) => b === 0xff)).toBe(true);
      expect(readdirSync(dir).filter((f) => /^t[0-9a-fB]/.test(f))).toEqual([]);
    });

    it("a fresh code sent after a flood of expired codes is the first one verified (queue of 4, excess dropped)", (ctx) => {
      if (!haveTool(bin)) return ctx.skip();
      const dir = mkdtempSync(join(tmpdir(), "pindai-lua-dev-"));
      // Captured codes replayed after they expired: each one costs a signature check.
      const flood = Array.from({ length: 12 }, (_, i) => issuePresentation(world.qrSigner, HOLDER, { iat: NOW - 600 - i }));
      const fresh = issuePresentation(world.qrSigner, HOLDER, { iat: NOW });
      const input = [
        `A TIME ${NOW}`,
        "A KEYSET " + keysetHex,
        ...flood.slice(0, 9).map((c) => "U 1 " + c), // all arrive while the device is busy (no W between them)
        "U 1 " + fresh,
        ...flood.slice(9).map((c) => "U 1 " + c),
        "W 10",
        "A LOG",
      ].join("\n") + "\n";
      const r = spawnSync(bin, [join(process.cwd(), "firmware/targets/lua/stdio-hal.lua"), built.lua], { cwd: dir, input, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      const verdicts = r.stdout.split("\n").filter((l) => l.startsWith("< LOG ")).map((l) => l.split(" ")[4]);
      // 13 lines in, 4 kept: the fresh code first, then the 3 newest of the flood; 9 dropped, never verified.
      expect(verdicts).toEqual(["OK", "EXPIRED", "EXPIRED", "EXPIRED"]);
    });
  });
}

describe("the Espruino image in an Espruino-like sandbox", () => {
  it("takes scan-engine bytes on Serial1 and the service line on the console", () => {
    const files: Record<string, Uint8Array> = {};
    const logs: string[] = [];
    const serial = () => ({ handlers: [] as Array<(s: string) => void>, setup() {}, on(ev: string, fn: (s: string) => void) { if (ev === "data") this.handlers.push(fn); }, write() {} });
    const Serial1 = serial();
    let time = 0;
    const pins: string[] = [];
    const g: Record<string, unknown> = {
      console: { log: (s: string) => logs.push(String(s)) },
      Serial1,
      Serial2: serial(),
      E: {
        toUint8Array: (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0))),
        hwRand: () => (Math.random() * 2 ** 32) >>> 0,
        ...ESPRUINO_E,
      },
      require: (m: string) => {
        if (m !== "Storage") throw new Error("no module " + m);
        return {
          readArrayBuffer: (n: string) => (files[n] ? files[n].slice().buffer : undefined),
          // As Espruino: a write past offset 0 goes in place into an existing file (its bytes must be erased).
          write: (n: string, d: Uint8Array, offset?: number) => {
            if (!offset) {
              files[n] = new Uint8Array(d);
              return;
            }
            if (!files[n] || offset + d.length > files[n].length) throw new Error("Too much data for file size");
            if (files[n].subarray(offset, offset + d.length).some((b) => b !== 0xff)) throw new Error("flash not erased");
            files[n].set(d, offset);
          },
          erase: (n: string) => delete files[n],
        };
      },
      getTime: () => time,
      setTime: (t: number) => (time = t),
      digitalWrite: (p: string, v: number) => pins.push(`${p}=${v}`),
      analogWrite: () => {},
      // Timers run when the test says so (runSoon: the zero-delay ones, as the event loop would next).
      setTimeout: (fn: () => void, ms: number) => (timers.push({ fn, ms }), timers.length),
      clearTimeout: (id: number) => {
        if (timers[id - 1]) timers[id - 1].fn = () => {};
      },
    };
    const timers: Array<{ fn: () => void; ms: number; done?: boolean }> = [];
    const runSoon = () => {
      for (let i = 0; i < timers.length; i++) {
        if (timers[i].ms === 0 && !timers[i].done) {
          timers[i].done = true;
          timers[i].fn();
        }
      }
    };
    g.global = g;
    const ctx = vm.createContext(g);
    vm.runInContext(
      `for (const n of ["Map","Set","WeakMap","Symbol","Proxy","Reflect","BigInt","TextDecoder","TextEncoder"]) delete globalThis[n];
       delete Math.imul; delete Array.from; delete Number.isInteger; delete Object.freeze;`,
      ctx,
    );
    vm.runInContext(readFileSync(built.espruino, "utf8"), ctx);
    const admin = (line: string) => vm.runInContext(`pindai(${JSON.stringify(line)})`, ctx);
    admin(`TIME ${NOW}`);
    admin("KEYSET " + keysetHex);
    expect(logs).toContain("OK INSTALLED 1");
    for (const h of Serial1.handlers) h(code.slice(0, 100)), h(code.slice(100) + "\r\n");
    runSoon();
    expect(logs.some((l) => l.startsWith("[green] SAH") && l.includes("Siti Aminah"))).toBe(true);
    expect(pins).toContain("LED2=1");
    admin("LOG");
    expect(logs.filter((l) => l.startsWith("LOG 1 "))).toHaveLength(1);
  });
});

if (!process.env.ESPRUINO) {
  console.warn("\n*** SKIPPED: ESPRUINO is not set: the image was not run on a real Espruino (the sandbox run above still ran) ***\n");
}

describe.skipIf(!process.env.ESPRUINO)("the Espruino image on a real Espruino (ESPRUINO names the binary)", () => {
  it("boots, is provisioned on its console, verifies lines from a scan engine on a pty (Serial1 path), and makes its Ed25519 tables in Storage", async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const link = await openPtyPair();
    const dir = mkdtempSync(join(tmpdir(), "pindai-esp-"));
    const img = await build(
      { roots: [rootHex], version: "esp", espruino: { scanEngine: { port: "Serial1", baud: 9600, path: link.a } } },
      join(dir, "dist"),
      () => {},
    );
    const script = join(dir, "run.js");
    writeFileSync(
      script,
      readFileSync(img.espruino, "utf8") +
        `\npindai("TIME ${NOW}");\npindai("KEYSET ${keysetHex}");\n` +
        // By 9 s the tables of the base point, the root and the key set's keys are made (about 1 s each here).
        `setTimeout(function(){pindai("LOG");print("TABLES " + require("Storage").list(/^t/).length);quit();}, 9000);\n`,
    );
    const proc = spawn(process.env.ESPRUINO!, [script], { cwd: dir });
    let stdout = "";
    proc.stdout.on("data", (d) => (stdout += d.toString()));
    const scanner = new SerialPort({ path: link.b, baudRate: 9600 });
    await new Promise((r) => setTimeout(r, 1500)); // boot, while the first tables are being made
    scanner.write(code + "\r\n");
    await new Promise((r) => setTimeout(r, 5500)); // the tables are made by now: this one verifies with them
    scanner.write(issuePresentation(world.qrSigner, HOLDER, { iat: NOW + 7 }) + "\r\n");
    const killer = setTimeout(() => proc.kill(), 120_000); // never hang the suite
    await new Promise((r) => proc.on("exit", r));
    clearTimeout(killer);
    scanner.close();
    link.close();
    expect(stdout).toContain("OK INSTALLED 1");
    expect(stdout).toMatch(/\[green\] SAH/);
    expect(stdout).toMatch(/LOG 1 \d+ OK qr/);
    expect(stdout).toMatch(/LOG 2 \d+ OK qr/);
    const tables = Number(/TABLES (\d+)/.exec(stdout)?.[1]);
    expect(tables).toBe(16 * 4); // the base point, the root, the QR key and the card key
  }, 180_000);
});
