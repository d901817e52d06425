// The Cortex-M4 cost model: the project's Lua bundle on the bare-metal Lua of
// bench/lua-m4 under QEMU, counted in instructions (exact, the same on every
// run) and bytes of Lua heap. Used by npm run bench and test/cortex-m.test.ts.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildLuaBundle } from "../test/support/lua";
import { luaDevice } from "../test/support/lua-device";
import { DeviceClient } from "../host/issuer/device-client";
import { table } from "./measure";
import { build } from "../host/build/build";
import { hasLazyTail } from "../host/build/lua-lazy";
import { HOLDER, makeWorld } from "../sim/world";
import { issuePresentation } from "../host/issuer/issuer";
import { ed } from "../host/issuer/ed";
import { sha256 } from "@noble/hashes/sha2.js";
import { CORTEX_M_TOOLS, buildLuaM4, type LuaVersion } from "./lua-m4/build";
import { imageBootOnM4, runOnM4, type LoadOptions } from "./lua-m4/run";

export { CORTEX_M_TOOLS, buildLuaM4, luaSources } from "./lua-m4/build";
export { calibrate } from "./lua-m4/run";

type Call = [string, ...string[]];

/** The fixed inputs of the cost model (seeded keys, fixed message and cti): the same calls on every run. */
export function modelCalls(): { verify: Call; tabled: Call; qr: Call; scan: Call; device: Call } {
  const now = 1_800_000_000;
  const w = makeWorld(now, 0, "bench");
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  const secret = sha256(new TextEncoder().encode("bench/verify"));
  const msg = new Uint8Array(200).fill(7);
  const sig = [hex(ed.getPublicKey(secret)), hex(msg), hex(ed.sign(msg, secret))];
  const code = issuePresentation(w.qrSigner, HOLDER, { iat: now, cti: new Uint8Array(16).fill(9) });
  const qr = [code, hex(w.keysetBytes), hex(w.roots[0].kid), hex(w.roots[0].publicKey), String(now + 5), "1"];
  return {
    verify: ["ed25519", ...sig],
    tabled: ["ed25519Tabled", ...sig],
    qr: ["presentation", ...qr],
    scan: ["presentationScan", ...qr],
    device: ["presentationOnDevice", ...qr],
  };
}

/** The figures of the model for one bundle of test/conformance/core-entry.ts. */
export interface M4Figures {
  /** Instructions to load the bundle (parse or undump, run its top level), the peak heap then, the heap it keeps. */
  load: number;
  loadPeak: number;
  loadHeld: number;
  /** Instructions per Ed25519 verification, without and with the tables. */
  verify: number;
  tabled: number;
  /** Whole QR text to verdict, key set loaded (root signature checked) in the call. */
  qr: number;
  /** A device's scan: key set loaded at boot, the QR path alone, no tables (the Lua image makes none). */
  scan: number;
  /** The same on a device that made the tables at boot. */
  device: number;
  /** Peak Lua heap (bytes) over the run without tables (loading included) and over the run with them. */
  peakPlain: number;
  peakTables: number;
  /** Peak Lua heap (bytes, everything loaded included) during the counted verification, scan, and the same with tables. */
  peakVerify: number;
  peakScan: number;
  peakTabled: number;
  peakDevice: number;
  /** Bytes a device holds between scans: the bundle, its state and the tables of the base point and the keys. */
  heldTables: number;
}

/**
 * Two runs: without tables (a verification to warm up, then one counted, a
 * QR, then two scans of which the second is counted) and with them (the first calls make the tables, the second ones are
 * counted). Every result must be OK: a count of a failing path means nothing.
 */
export async function measureM4(elf: string, bundle: string, o: LoadOptions = {}): Promise<M4Figures> {
  const c = modelCalls();
  const [plain, tables] = await Promise.all([
    runOnM4(elf, bundle, [c.verify, c.verify, c.qr, c.scan, c.scan], o),
    runOnM4(elf, bundle, [c.tabled, c.tabled, c.device, c.device], o),
  ]);
  for (const x of [...plain.calls, ...tables.calls]) {
    if (!x.result.startsWith("OK")) throw new Error("a cost model call did not verify: " + x.result);
  }
  return {
    load: plain.load.instructions,
    loadPeak: plain.load.peakHeap,
    loadHeld: plain.load.heapAfter,
    verify: plain.calls[1].instructions,
    tabled: tables.calls[1].instructions,
    qr: plain.calls[2].instructions,
    scan: plain.calls[4].instructions,
    device: tables.calls[3].instructions,
    peakPlain: Math.max(plain.load.peakHeap, ...plain.calls.map((x) => x.peakHeap)),
    peakTables: Math.max(tables.load.peakHeap, ...tables.calls.map((x) => x.peakHeap)),
    heldTables: tables.calls[3].heapAfter,
    peakVerify: plain.calls[1].peakHeap,
    peakScan: plain.calls[4].peakHeap,
    peakTabled: tables.calls[1].peakHeap,
    peakDevice: tables.calls[3].peakHeap,
  };
}

// --- Configurations, baseline and bench rows ----------------------------------

export const BUNDLE_ENTRY = "test/conformance/core-entry.ts";
export const BASELINE_FILE = fileURLToPath(new URL("./cortex-m-baseline.json", import.meta.url));
export const VERSIONS: LuaVersion[] = ["5.4", "5.3"];

export interface M4Config extends LoadOptions {
  name: string;
  lua: LuaVersion;
  /** The Lua natives in front of the bundle, as in the image (firmware/targets/lua/natives.lua). */
  natives: boolean;
  /** The entry bundled (default BUNDLE_ENTRY, the whole conformance surface). */
  entry?: string;
}

/** The verifier's calls alone (no other conformance calls in the bundle): the core a verifier holds. */
export const VERIFIER_ENTRY = "test/conformance/verifier-entry.ts";

/**
 * The image's path (natives) loaded as a small device loads it (bytecode
 * compiled on the device, as NodeMCU's node.compile does) on both Lua
 * versions, once more with the verifier's calls alone in the bundle (the
 * heap a verifier needs), from source as lua5.4 runs it, and the portable
 * path (what the Lua image ran before the natives).
 */
export const CONFIGS: M4Config[] = [
  { name: "Lua 5.4, natives, bytecode", lua: "5.4", natives: true, bytecode: true },
  { name: "Lua 5.4, natives, bytecode, verifier alone", lua: "5.4", natives: true, bytecode: true, entry: VERIFIER_ENTRY },
  { name: "Lua 5.3, natives, bytecode", lua: "5.3", natives: true, bytecode: true },
  { name: "Lua 5.4, natives, source", lua: "5.4", natives: true },
  { name: "Lua 5.4, portable, source", lua: "5.4", natives: false },
];

/**
 * The Lua device image on the model (stdio HAL): its boot with no key set yet
 * (instructions, peak heap, heap held after it), and a scan on a provisioned
 * device (key set and trusted clock), the second after a boot: instructions
 * from the scanned line to the verdict shown, the peak heap then, and the
 * heap held once the device is idle again (its screen cleared).
 */
export interface M4Boot {
  boot: number;
  bootPeak: number;
  bootHeld: number;
  scan: number;
  scanPeak: number;
  scanHeld: number;
}

export const IMAGE_BOOT = "Lua 5.4, device image boot";
/** The same image built for LFS (luaLfs) and booted with its code and constants in the model's flash (lua-m4.c m4.loadflash). */
export const IMAGE_BOOT_LFS = "Lua 5.4, device image boot, code in flash (LFS model)";

/** The device image (npm run build's pindai.lua) booting on Lua `v`, then scanning on the flash of a provisioned device. */
export async function measureImageBoot(v: LuaVersion, o: { lfs?: boolean } = {}): Promise<M4Boot & { bytes: number; lfsBytes?: number; imageHeld?: number }> {
  const imageDir = mkdtempSync(join(tmpdir(), "pindai-m4-image-"));
  try {
    const now = 1_800_000_000;
    const w = makeWorld(now, 0, "bench");
    const image = await build({ roots: [Buffer.from(w.roots[0].publicKey).toString("hex")], version: "bench", lua: { display: null, ledGreen: 4, ledRed: 5 }, luaLfs: o.lfs === true }, imageDir, () => {});
    // For LFS every function stays in the image (none read back from its tail on first call).
    if ((o.lfs === true) === hasLazyTail(readFileSync(image.lua, "utf8"))) throw new Error(`the image built with luaLfs ${o.lfs === true} is ${o.lfs ? "" : "not "}lazy`);
    const elf = buildLuaM4(v);
    const b = await imageBootOnM4(elf, image.lua, { lfs: o.lfs });
    // Provisioned on this machine's lua of the same version (else lua5.4: the model then makes its own
    // bytecode cache at the first scan), over the admin protocol's exchanges; then two scans on the model.
    const flash = join(imageDir, "flash");
    mkdirSync(flash);
    const hostLua = spawnSync("sh", ["-c", "command -v lua" + v]).status === 0 ? "lua" + v : "lua5.4";
    const dev = luaDevice(hostLua, image.lua, flash);
    try {
      if ((await new DeviceClient(dev, w.adminKey).installKeyset(w.keysetBytes)) !== "INSTALLED 1") throw new Error("the bench device did not take its key set");
      if ((await new DeviceClient(dev, w.rootKey).setTime(now)) !== `TIME ${now}`) throw new Error("the bench device did not take its time");
    } finally {
      await dev.close();
    }
    const code = (n: number) => issuePresentation(w.qrSigner, HOLDER, { iat: now + 20, cti: new Uint8Array(16).fill(n) });
    const commands = ["U 1 " + code(1), "W 10", "W 11000", "U 1 " + code(2), "W 10", "W 11000"];
    const s = await imageBootOnM4(elf, image.lua, { commands, flash, rtc: now + 30, lfs: o.lfs });
    // Each valid scan lights the green LED (pin 4) and never the red (pin 5).
    const lit = (pin: number) => s.out.split("\n").filter((l) => l === `GPIO ${pin} 1`).length;
    if (lit(4) !== 2 || lit(5) !== 0 || s.lines.length !== commands.length) throw new Error("the image's scans on the model were not both valid: " + s.out.slice(-600));
    const [line, shown, idle] = [s.lines[3], s.lines[4], s.lines[5]];
    return {
      boot: b.instructions,
      bootPeak: b.peakHeap,
      bootHeld: b.held,
      scan: line.instructions + shown.instructions,
      scanPeak: Math.max(line.peakHeap, shown.peakHeap),
      scanHeld: idle.held,
      bytes: image.sizes.lua,
      // With LFS: the flash its code takes, and held after boot less what the image found (Lua's own
      // heap and the stdio HAL's): the image's own.
      ...(b.lfs !== undefined ? { lfsBytes: b.lfs.flashBytes, imageHeld: b.held - b.lfs.preImage } : {}),
    };
  } finally {
    rmSync(imageDir, { recursive: true, force: true });
  }
}

/** The model's figures for each configuration (builds what is not cached), one configuration at a time, and the image's boot on 5.4. */
export async function measureAllM4(): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const c of CONFIGS) out[c.name] = { ...(await measureM4(buildLuaM4(c.lua), buildLuaBundle(c.entry ?? BUNDLE_ENTRY, c.lua, c.natives), c)) };
  for (const [name, lfs] of [[IMAGE_BOOT, false], [IMAGE_BOOT_LFS, true]] as const) {
    const { bytes: _, ...boot } = await measureImageBoot("5.4", { lfs });
    out[name] = boot;
  }
  return out;
}

/** Cycles per instruction on a real M4 running an interpreter from flash with wait states (RUNTIMES.md). */
export const CPI = 1.25;
const seconds = (instructions: number, mhz: number) => ((instructions * CPI) / (mhz * 1e6)).toFixed(2);

/** npm run bench: the model's rows, beside lua5.4's x86 ms (portable bundle) where the caller has them. */
export async function benchCortexM(x86?: { verify: number; tabled: number; qr: number; device: number }): Promise<void> {
  const missing = CORTEX_M_TOOLS.filter((t) => spawnSync("sh", ["-c", "command -v " + t]).status !== 0);
  if (missing.length > 0) {
    console.log(`\n(Cortex-M4 cost model: install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm; missing ${missing.join(", ")})`);
    return;
  }
  const all = await measureAllM4();
  const rows: string[][] = [];
  for (const c of CONFIGS) {
    const f = all[c.name];
    const x86ms = !c.natives && c.lua === "5.4" ? x86 : undefined;
    const row = (what: string, n: number, ms?: number) => [`${c.name}: ${what}`, (n / 1e6).toFixed(1), seconds(n, 64), seconds(n, 240), ms === undefined ? "-" : ms.toFixed(1)];
    rows.push(row("load the bundle", f.load));
    rows.push(row("Ed25519 verify, no tables", f.verify, x86ms?.verify));
    rows.push(row("Ed25519 verify, tables", f.tabled, x86ms?.tabled));
    rows.push(row("QR to verdict (key set loaded)", f.qr, x86ms?.qr));
    rows.push(row("a scan, key set loaded at boot, no tables", f.scan));
    rows.push(row("a scan, key set and tables made at boot", f.device, x86ms?.device));
  }
  table(
    `Cortex-M4 cost model: Lua bare-metal under qemu-system-arm -M mps2-an386 -icount shift=0 (1 instruction = 1 ns), s = instructions x ${CPI} CPI / MHz`,
    ["Lua on Cortex-M4", "M instructions", "s at 64 MHz", "s at 240 MHz", "x86 lua5.4 ms"],
    rows,
  );
  const kb = (b: number) => (b / 1024).toFixed(0);
  const boots: string[][] = [];
  for (const v of VERSIONS) {
    for (const lfs of [false, true]) {
      const b = await measureImageBoot(v, { lfs });
      const what = lfs
        ? `Lua ${v}, code in flash (LFS model, ${kb(b.lfsBytes ?? 0)} KB of flash; the image's own heap after boot ${kb(b.imageHeld ?? 0)} KB)`
        : `Lua ${v}, functions read from the image on first call`;
      boots.push([what, String(b.bytes), (b.boot / 1e6).toFixed(1), kb(b.bootPeak), kb(b.bootHeld), (b.scan / 1e6).toFixed(1), kb(b.scanPeak), kb(b.scanHeld)]);
    }
  }
  table("Cortex-M4 cost model: the Lua device image booting (stdio HAL, no key set yet); a scan on it provisioned (no tables). Issue 22's goals: held after boot 100 KB, peaks 160 KB", [
    "Lua", "image bytes", "boot, M instructions", "boot, peak heap KB", "held after boot KB", "a scan, M instructions", "a scan, peak heap KB", "held between scans KB",
  ], boots);
  table(
    "Cortex-M4 cost model: Lua heap, KB (exact, counted in Lua's allocator; tables are Lua tables of bytes)",
    ["Lua", "peak loading", "held after loading", "peak, verify", "peak, a scan", "peak, verify with tables", "peak, a scan with tables", "held between scans, tables"],
    CONFIGS.map((c) => {
      const f = all[c.name];
      return [c.name, kb(f.loadPeak), kb(f.loadHeld), kb(f.peakVerify), kb(f.peakScan), kb(f.peakTabled), kb(f.peakDevice), kb(f.heldTables)];
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === "--write-baseline") {
    writeFileSync(BASELINE_FILE, JSON.stringify(await measureAllM4(), null, 2) + "\n");
    console.log("wrote " + BASELINE_FILE);
  } else await benchCortexM();
}

