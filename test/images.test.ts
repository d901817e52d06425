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
import { issuePresentation } from "../host/issuer/issuer";
import { HOLDER, makeWorld } from "../sim/world";
import { haveTool } from "./support/tools";
import { luaDevice } from "./support/lua-device";
import { DeviceClient, streamLink } from "../host/issuer/device-client";

const NOW = Math.floor(Date.now() / 1000);
const world = makeWorld(NOW, 2, "images");
const rootHex = Buffer.from(world.roots[0].publicKey).toString("hex");
const keysetHex = Buffer.from(world.keysetBytes).toString("hex");
const code = issuePresentation(world.qrSigner, HOLDER, { iat: NOW });
const out = mkdtempSync(join(tmpdir(), "pindai-build-"));
let built: BuildResult;

beforeAll(async () => {
  process.env.SOURCE_DATE_EPOCH = String(NOW - 3600); // built an hour before the clock is set
  // The Espruino sandbox has no Graphics: that image shows its screens on the console (the debug display).
  built = await build({ roots: [rootHex], version: "test-image", espruino: { display: { type: "console" } } }, out, () => {});
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
    // 84 KB with short names (host/build/short-names.js); 103 KB with the display layout and driver, the checked random source, signed change answers and the boot sweep (issues 20, 21); 113 KB in parts (their stubs, loader and droppers, host/build/espruino-parts.js); 120 KB with parameters read from `arguments` (flash for RAM, host/build/espruino-arguments.js); 122 KB with calls through the part loader and the boot and seldom-run code in parts; 125 KB with the stores and the layout in parts of their own; pindai flash checks each board's free Storage
    expect(built.sizes.espruino).toBeLessThan(127_000);
  });

  it("refuses a root that is neither hex nor a file", async () => {
    await expect(build({ roots: ["nonsense"] }, out, () => {})).rejects.toThrow(/neither 64 hex/);
  });
});

for (const bin of ["lua5.3", "lua5.4"]) {
  describe(`the Lua image on ${bin} (stdio HAL)`, () => {
    it("is provisioned with the host tool over its admin line, verifies a scan-engine line, exports a signed log", async (ctx) => {
      if (!haveTool(bin)) return ctx.skip();
      const dir = mkdtempSync(join(tmpdir(), "pindai-lua-dev-"));
      const dev = luaDevice(bin, built.lua, dir);
      try {
        const client = new DeviceClient(dev, world.adminKey);
        expect(await client.version()).toBe("pindai test-image");
        dev.send("U 1 " + code);
        dev.send("W 10"); // scanned lines are verified from a timer (app/scan-queue.ts)
        // The image's SSD1306 (u8g2 stand-in): no key set is the device's fault, amber NOT READY, never the holder's red.
        await dev.waitFor(/^screen> TAK SIAP \| #1 \| Panggil administrator/);
        expect(await dev.request(`TIME ${NOW}`)).toMatch(/^ERR SIGNATURE_REQUIRED/); // unsigned: refused
        expect(await client.installKeyset(world.keysetBytes)).toBe("INSTALLED 1");
        expect(await new DeviceClient(dev, world.rootKey).setTime(NOW)).toBe(`TIME ${NOW}`); // an untrusted clock takes a root's TIME
        dev.send("W 11000");
        let from = dev.lines.length;
        dev.send("U 1 " + code);
        dev.send("W 10");
        expect(await dev.waitFor(/^screen> SAH/, from)).toMatch(/^screen> SAH \| #3 \| Siti Aminah \| Tgl lahir 05-12-1990 \| NIK \*\*0001 \| pindai demo issuer$/);
        dev.send("W 11000");
        from = dev.lines.length;
        dev.send("U 1 " + code);
        dev.send("W 10");
        expect(await dev.waitFor(/^screen> DITOLAK/, from)).toMatch(/^screen> DITOLAK \| #4 \| Kode ini sudah \| dipakai/);
        const logs = await client.logs();
        expect(logs.map((r) => `${r.verdict} ${r.source}`)).toEqual(["NO_KEYSET qr", "OK time", "OK qr", "REPLAYED qr"]);
        const status = await client.status();
        expect(status).toMatchObject({ keyset: 1, trusted: true, version: "test-image" });
      } finally {
        await dev.close();
      }
      // the flash files are real files in the flash folder, and no Ed25519 tables (off on Lua)
      expect(readFileSync(join(dir, "keyset.0")).length + (readdirSync(dir).includes("keyset.1") ? 1 : 0)).toBeGreaterThan(100);
      expect(readdirSync(dir)).toEqual(expect.arrayContaining(["device.key", "replay.0", "clock.floor", "audit.0"]));
      expect(readdirSync(dir).filter((f) => /^t[0-9a-fB]/.test(f))).toEqual([]);
    }, 60_000);
  });
}

describe("the Espruino image in an Espruino-like sandbox", () => {
  it("locks the console at boot, serves the admin protocol on the console's port, takes scan-engine bytes on Serial1", async () => {
    const files: Record<string, Uint8Array> = {};
    const logs: string[] = [];
    const serial = () => ({
      handlers: [] as Array<(s: string) => void>,
      written: "",
      setup() {},
      on(ev: string, fn: (s: string) => void) {
        if (ev === "data") this.handlers.push(fn);
      },
      write(d: Uint8Array | string) {
        this.written += typeof d === "string" ? d : Buffer.from(d).toString("latin1");
      },
      removeAllListeners(ev: string) {
        if (ev === "data") this.handlers = [];
      },
    });
    const Serial1 = serial();
    const USB = serial();
    const consoleMoves: unknown[] = [];
    let time = 0;
    const pins: string[] = [];
    const g: Record<string, unknown> = {
      console: { log: (s: string) => logs.push(String(s)) },
      Serial1,
      Serial2: serial(),
      USB,
      E: {
        toUint8Array: (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0))),
        hwRand: () => (Math.random() * 2 ** 32) >>> 0,
        getConsole: () => "USB",
        setConsole: (dev: unknown, opts: unknown) => consoleMoves.push([dev, opts]),
        ...ESPRUINO_E,
      },
      require: (m: string) => {
        if (m !== "Storage") throw new Error("no module " + m);
        return {
          readArrayBuffer: (n: string) => (files[n] ? files[n].slice().buffer : undefined),
          // As Espruino: a write past offset 0 goes in place into an existing file (its bytes must be erased).
          write: (n: string, d: Uint8Array, offset?: number, size?: number) => {
            if (!offset) {
              // With a size, the file is made that long and the bytes past the data stay erased.
              files[n] = new Uint8Array(Math.max(size ?? 0, d.length)).fill(0xff);
              files[n].set(d);
              return;
            }
            if (!files[n] || offset + d.length > files[n].length) throw new Error("Too much data for file size");
            if (files[n].subarray(offset, offset + d.length).some((b) => b !== 0xff)) throw new Error("flash not erased");
            files[n].set(d, offset);
          },
          erase: (n: string) => delete files[n],
          list: () => Object.keys(files),
          read: (n: string) => (files[n] ? Buffer.from(files[n]).toString("latin1") : undefined),
        };
      },
      getTime: () => time,
      setTime: (t: number) => (time = t),
      // UNLOCK ends with reset() once its answer is out (no key stays in RAM): counted here.
      reset: () => void resets++,
      digitalWrite: (p: string, v: number) => pins.push(`${p}=${v}`),
      analogWrite: () => {},
      // Timers run when the test says so (runSoon: the zero-delay ones, as the event loop would next).
      setTimeout: (fn: () => void, ms: number) => (timers.push({ fn, ms }), timers.length),
      clearTimeout: (id: number) => {
        if (timers[id - 1]) timers[id - 1].fn = () => {};
      },
    };
    const timers: Array<{ fn: () => void; ms: number; done?: boolean }> = [];
    let resets = 0;
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
    // The REPL left every port at boot; no global hook into the image is left behind.
    expect(consoleMoves).toEqual([[null, { force: true }]]);
    expect(vm.runInContext("typeof pindai", ctx)).toBe("undefined");
    // The admin line on the console's old port (USB), driven by the host tool.
    const link = {
      async request(line: string) {
        const before = USB.written.length;
        for (const h of USB.handlers) h(line + "\r\n");
        return USB.written.slice(before).split("\r\n")[0];
      },
      async close() {},
    };
    const client = new DeviceClient(link, world.adminKey);
    expect(await link.request(`TIME ${NOW}`)).toMatch(/^ERR SIGNATURE_REQUIRED/);
    expect(await link.request(`require("Storage").read("device.key")`)).toMatch(/^ERR UNKNOWN_COMMAND/); // text, never code
    expect(await client.installKeyset(world.keysetBytes)).toBe("INSTALLED 1");
    expect(await new DeviceClient(link, world.rootKey).setTime(NOW)).toBe(`TIME ${NOW}`); // an untrusted clock takes a root's TIME
    for (const h of Serial1.handlers) h(code.slice(0, 100)), h(code.slice(100) + "\r\n");
    runSoon();
    expect(logs.some((l) => l.startsWith("[green] SAH") && l.includes("Siti Aminah"))).toBe(true);
    expect(pins).toContain("LED2=1");
    const records = await client.logs();
    expect(records.map((r) => r.verdict + " " + r.source)).toEqual(["OK time", "OK qr"]);
    // A signed UNLOCK puts the REPL back on that port (for pindai flash) until the next boot.
    expect(await client.unlock()).toBe("UNLOCK");
    expect(consoleMoves[1]).toEqual(["USB", { force: true }]);
    expect(USB.handlers).toHaveLength(0); // the admin line let go of the port
    expect(resets).toBe(1); // and the interpreter is reset: no key in RAM
  });
});

if (!process.env.ESPRUINO) {
  console.warn("\n*** SKIPPED: ESPRUINO is not set: the image was not run on a real Espruino (the sandbox run above still ran) ***\n");
}

describe.skipIf(!process.env.ESPRUINO)("the Espruino image on a real Espruino (ESPRUINO names the binary)", () => {
  it("locks its console: nothing typed on the admin line reaches the REPL; provisioned by the host tool; verifies from a scan engine on a pty; makes its tables", async (ctx) => {
    if (!haveTool("socat")) return ctx.skip();
    const link = await openPtyPair();
    const dir = mkdtempSync(join(tmpdir(), "pindai-esp-"));
    const img = await build(
      // A scan engine only: a target block merges over the defaults, so the default reader and LEDs are turned off.
      { roots: [rootHex], version: "esp", espruino: { scanEngine: { port: "Serial1", baud: 9600, path: link.a }, reader: null, ledGreen: null, ledRed: null } },
      join(dir, "dist"),
      () => {},
    );
    // Espruino for Linux: the console (and so the admin line) is stdin/stdout ("USB").
    const proc = spawn(process.env.ESPRUINO!, [img.espruino], { cwd: dir, stdio: ["pipe", "pipe", "ignore"] });
    const killer = setTimeout(() => proc.kill("SIGKILL"), 170_000); // never hang the suite
    let stdout = "";
    proc.stdout!.on("data", (d: Buffer) => (stdout += d.toString("latin1")));
    const dev = streamLink((t) => proc.stdin!.write(t), (fn) => proc.stdout!.on("data", fn), async () => {}, 60_000, "espruino"); // a busy host: the device makes its tables meanwhile
    const scanner = new SerialPort({ path: link.b, baudRate: 9600 });
    try {
      await new Promise((r) => setTimeout(r, 1500)); // boot
      expect(await dev.request("VERSION")).toBe("OK pindai esp");
      // An attacker at the port types JavaScript: it is a line of text, never code.
      for (const js of ['print("RE"+"PL")', 'require("Storage").erase("keyset.floor")', "setTime(0)", "reset()"]) {
        expect(await dev.request(js)).toMatch(/^ERR UNKNOWN_COMMAND/);
      }
      expect(await dev.request("\x03\x10VERSION")).toBe("OK pindai esp"); // Ctrl-C and echo-off are just bytes here
      expect(stdout).not.toContain("REPL");
      expect(await dev.request(`TIME ${NOW}`)).toMatch(/^ERR SIGNATURE_REQUIRED/);
      const client = new DeviceClient(dev, world.adminKey);
      expect(await client.installKeyset(world.keysetBytes)).toBe("INSTALLED 1");
      const now = Math.floor(Date.now() / 1000); // after the build time of this image
      expect(await new DeviceClient(dev, world.rootKey).setTime(now)).toBe(`TIME ${now}`); // an untrusted clock takes a root's TIME
      const fresh = issuePresentation(world.qrSigner, HOLDER, { iat: now });
      await new Promise((r) => setTimeout(r, 6000)); // the tables of the base point and the keys are made (about 1 s each here)
      scanner.write(fresh + "\r\n");
      await new Promise((r) => setTimeout(r, 3000));
      scanner.write("hello\r\n"); // another line first: the same code still on screen is one verdict
      await new Promise((r) => setTimeout(r, 1000));
      scanner.write(fresh + "\r\n");
      await new Promise((r) => setTimeout(r, 3000));
      const logs = await client.logs();
      expect(logs.map((r) => r.verdict + " " + r.source)).toEqual(["OK time", "OK qr", "NOT_A_CREDENTIAL qr", "REPLAYED qr"]);
      const files = await client.status();
      expect(files).toMatchObject({ keyset: 1, trusted: true });
    } catch (e) {
      throw new Error(`${(e as Error).message}; Espruino printed: ${JSON.stringify(stdout.slice(-800))}`);
    } finally {
      clearTimeout(killer);
      scanner.close();
      link.close();
      proc.kill("SIGKILL");
    }
  }, 180_000);
});
