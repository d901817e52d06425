// Espruino on ARM, counted in instructions: a bundle runs on an Espruino
// built for 32-bit ARM Linux (ESPRUINO_ARM names it; Thumb-2, soft float)
// under Debian's qemu-arm with the instruction-counting plugin
// insn-count.c. Around each call the script makes the plugin's marker system
// call (through E.nativeCall of a 10-byte Thumb stub), so a call's figure is
// the instructions between its two marks, less those of an empty pair of
// marks. Counts are the same on every run.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type Call = [string, ...string[]];

/** Thumb: push {r7, lr}; movs r7, #0xF0; lsls r7, r7, #8; svc 0; pop {r7, pc}: system call 0xF000 with r0. */
const MARK_STUB = "gLXwJz8CAN+AvQ==";

/** What is missing to count instructions on ARM ("" when nothing). */
export function armToolsMissing(): string {
  for (const tool of ["qemu-arm", "gcc"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return tool;
  }
  const help = spawnSync("qemu-arm", ["-h"], { encoding: "utf8" }).stdout ?? "";
  return help.includes("-plugin") ? "" : "qemu-arm with TCG plugin support";
}

let pluginPath: string | undefined;

/** The counting plugin, built once per process with the host's gcc. */
export function buildPlugin(): string {
  if (pluginPath) return pluginPath;
  const dir = join(tmpdir(), "pindai-espruino-arm", String(process.pid));
  mkdirSync(dir, { recursive: true });
  const out = join(dir, "insn-count.so");
  const src = fileURLToPath(new URL("./insn-count.c", import.meta.url));
  const r = spawnSync("gcc", ["-shared", "-fPIC", "-O2", "-o", out, src], { encoding: "utf8" });
  if (r.status !== 0) throw new Error("building the qemu plugin failed: " + r.stderr);
  pluginPath = out;
  return out;
}

export interface CountedCall {
  result: string;
  instructions: number;
}

/** The driver after the bundle: marks around each call, its result printed after the second mark. */
function driver(calls: Call[]): string {
  return `
var MARK = E.nativeCall(1, "void(int)", atob("${MARK_STUB}"));
var calls = ${JSON.stringify(calls)};
MARK(-1); MARK(-2);
for (var i = 0; i < calls.length; i++) {
  var c = calls[i];
  var r;
  MARK(2 * i);
  try { r = "OK\\t" + conformance[c[0]].apply(undefined, c.slice(1)); } catch (e) { r = "ERR\\t" + e; }
  MARK(2 * i + 1);
  console.log("@@" + i + "\\t" + r);
}
console.log("@@DONE");
`;
}

/**
 * Run the calls in one Espruino on ARM (the bundle defines the global
 * `conformance`; `prelude` is put before it, as a target's natives are).
 */
export function runOnArm(bin: string, bundlePath: string, calls: Call[], prelude = "", timeoutMs = 1_800_000): CountedCall[] {
  const dir = mkdtempSync(join(tmpdir(), "pindai-espruino-arm-"));
  try {
    const script = join(dir, "run.js");
    const counts = join(dir, "counts.txt");
    writeFileSync(script, prelude + readFileSync(bundlePath, "utf8") + "\n" + driver(calls) + "quit();\n");
    const r = spawnSync("qemu-arm", ["-L", "/usr/arm-linux-gnueabi", "-plugin", `${buildPlugin()},out=${counts}`, bin, script], {
      cwd: dir,
      encoding: "utf8",
      timeout: timeoutMs,
      killSignal: "SIGKILL",
      maxBuffer: 1 << 26,
    });
    if (!r.stdout.includes("@@DONE")) throw new Error(`espruino on ARM did not finish: ${r.stdout.slice(-400)} ${r.stderr.slice(-400)}`);
    const mark = new Map<number, number>();
    for (const m of readFileSync(counts, "utf8").matchAll(/^MARK (-?\d+) (\d+)$/gm)) mark.set(Number(m[1]), Number(m[2]));
    const empty = (mark.get(-2) ?? NaN) - (mark.get(-1) ?? NaN);
    const out: CountedCall[] = [];
    for (const line of r.stdout.split(/\r?\n/)) {
      const m = /^@@(\d+)\t(OK|ERR)\t(.*)$/.exec(line);
      if (!m) continue;
      const i = Number(m[1]);
      const n = (mark.get(2 * i + 1) ?? NaN) - (mark.get(2 * i) ?? NaN) - empty;
      if (!(n >= 0)) throw new Error(`espruino on ARM: no marks around call ${i}`);
      out[i] = { result: m[2] === "OK" ? m[3] : "ERR " + m[3], instructions: n };
    }
    if (out.length !== calls.length) throw new Error(`espruino on ARM gave ${out.length}/${calls.length} results`);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
