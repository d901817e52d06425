// The Espruino image's native kernel for ARM Cortex-M boards: kernel.c
// compiled by arm-none-eabi-gcc into position-independent Thumb bytes, and
// the prelude that hands it to the core (natives.js, after the bytes).
// Refused unless the result is self-contained: no data to relocate, no
// library calls, nothing but code and read-only constants addressed from it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const KERNEL_C = fileURLToPath(new URL("../../firmware/targets/espruino/native/kernel.c", import.meta.url));
const NATIVES_JS = fileURLToPath(new URL("../../firmware/targets/espruino/native/natives.js", import.meta.url));

/** Cortex-M4 Thumb-2, soft float ABI (the kernel has no floating point), read-only data addressed from the PC. */
export const KERNEL_CFLAGS = [
  "-mthumb", "-mcpu=cortex-m4", "-Os", "-fPIC", "-mpic-data-is-text-relative", "-ffreestanding",
  "-nostdlib", "-fno-builtin", "-fno-common", "-Wall", "-Wextra", "-Werror",
];

/** One section at address 0: code, then its constants. */
const LINKER_SCRIPT = "SECTIONS { . = 0; .text : { *(.text*) *(.rodata*) } /DISCARD/ : { *(.comment) *(.ARM.attributes) } }\n";

export interface Kernel {
  /** The bytes E.nativeCall runs. */
  code: Buffer;
  /** Entry points (pd_*) by name: offsets into code. */
  at: Record<string, number>;
}

/** What the kernel build lacks on this machine ("" when nothing). */
export function kernelToolsMissing(): string {
  return spawnSync("sh", ["-c", "command -v arm-none-eabi-gcc"]).status === 0 ? "" : "arm-none-eabi-gcc";
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${(r.stderr || r.stdout || String(r.error)).slice(-800)}`);
  return r.stdout;
}

let cached: Kernel | undefined;

export function buildKernel(): Kernel {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), "pindai-kernel-"));
  try {
    writeFileSync(join(dir, "kernel.ld"), LINKER_SCRIPT);
    run("arm-none-eabi-gcc", [...KERNEL_CFLAGS, "-c", KERNEL_C, "-o", "kernel.o"], dir);
    run("arm-none-eabi-ld", ["-T", "kernel.ld", "-o", "kernel.elf", "kernel.o"], dir);
    const sections = run("arm-none-eabi-objdump", ["-h", "kernel.elf"], dir);
    const names = [...sections.matchAll(/^\s*\d+\s+(\S+)\s+([0-9a-f]+)/gm)].filter((m) => parseInt(m[2], 16) > 0).map((m) => m[1]);
    if (names.join(",") !== ".text") throw new Error(`the kernel must be code and constants only, not ${names.join(", ")}`);
    const undefinedSyms = run("arm-none-eabi-nm", ["-u", "kernel.o"], dir).trim();
    if (undefinedSyms) throw new Error("the kernel calls outside itself: " + undefinedSyms);
    const relocs = run("arm-none-eabi-objdump", ["-r", "kernel.o"], dir);
    for (const m of relocs.matchAll(/^[0-9a-f]+\s+(R_ARM_\S+)/gm)) {
      if (!["R_ARM_REL32", "R_ARM_THM_CALL", "R_ARM_THM_JUMP24", "R_ARM_THM_JUMP11", "R_ARM_THM_JUMP8", "R_ARM_THM_JUMP19"].includes(m[1])) {
        throw new Error(`the kernel is not position independent (${m[1]})`);
      }
    }
    run("arm-none-eabi-objcopy", ["-O", "binary", "-j", ".text", "kernel.elf", "kernel.bin"], dir);
    const at: Record<string, number> = {};
    for (const m of run("arm-none-eabi-nm", ["kernel.elf"], dir).matchAll(/^([0-9a-f]+) T (pd_\w+)$/gm)) at[m[2]] = parseInt(m[1], 16) & ~1;
    cached = { code: readFileSync(join(dir, "kernel.bin")), at };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How the kernel's line starts, first in an image that carries it (pindai flash looks for it). */
export const KERNEL_LINE = "var PINDAI_KERNEL = ";

/** The JavaScript put in front of an Espruino bundle so its core runs on the kernel. */
export function kernelPrelude(k: Kernel = buildKernel()): string {
  // Whole-line comments and indentation out: Espruino keeps function source text in RAM.
  const js = readFileSync(NATIVES_JS, "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("//") && !(l.startsWith("/*") && l.endsWith("*/"))).join("\n");
  return `${KERNEL_LINE}${JSON.stringify({ code: k.code.toString("base64"), at: k.at })};\n` + js + "\n";
}
