// The Espruino kernel's bytes run bare-metal on a Cortex-M4 model
// (kernel-m4.c under qemu-system-arm -M mps2-an386 -icount shift=0): the
// bytes the image embeds, called from RAM as E.nativeCall calls them. Used by
// test/espruino-kernel.test.ts (equality with the portable core on
// Wycheproof) and npm run bench (instructions per kernel call).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildKernel } from "../../host/build/espruino-kernel";

export const KERNEL_M4_TOOLS = ["arm-none-eabi-gcc", "qemu-system-arm"];

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

/** Build the harness around the kernel's bytes in `dir`; the ELF's path. */
function buildHarness(dir: string): string {
  const k = buildKernel();
  const header =
    `static const unsigned char KERNEL_BYTES[] __attribute__((aligned(4))) = {${[...k.code].join(",")}};\n` +
    `#define KERNEL_LEN ${k.code.length}u\n` +
    Object.entries(k.at).map(([name, at]) => `#define AT_${name} ${at}u\n`).join("");
  writeFileSync(join(dir, "kernel-bin.h"), header);
  const flags = ["-O2", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft", "-ffunction-sections", "-fdata-sections", "-I", dir];
  const elf = join(dir, "kernel-m4.elf");
  const r = spawnSync(
    "arm-none-eabi-gcc",
    [...flags, "-nostartfiles", "-T", here("../lua-m4/m4.ld"), "-Wl,--gc-sections", here("./kernel-m4.c"), here("../lua-m4/startup.c"), "--specs=rdimon.specs", "-o", elf],
    { encoding: "utf8", timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error("building the kernel harness failed: " + (r.stderr || String(r.error)).slice(-800));
  return elf;
}

export interface KernelLine {
  /** The line's results (hex, space-separated). */
  out: string;
  /** Instructions in the kernel for the line (to 40). */
  instructions: number;
}

/** Run the command lines (kernel-m4.c's format) on the model; one result per line. */
export async function runKernelM4(lines: string[], timeoutMs = 600_000): Promise<KernelLine[]> {
  const dir = mkdtempSync(join(tmpdir(), "pindai-kernel-m4-"));
  try {
    const elf = buildHarness(dir);
    writeFileSync(join(dir, "in.txt"), lines.join("\n") + "\n");
    const args = ["-M", "mps2-an386", "-cpu", "cortex-m4", "-icount", "shift=0", "-semihosting-config", "enable=on,target=native"];
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn("qemu-system-arm", [...args, "-nographic", "-monitor", "none", "-serial", "none", "-kernel", elf], { cwd: dir });
      let o = "";
      let e = "";
      p.stdout.on("data", (d) => (o += d));
      p.stderr.on("data", (d) => (e += d));
      const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
      p.on("error", reject);
      p.on("close", (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve(o);
        else reject(new Error(`the kernel harness failed (${code ?? signal}): ${(e + o).slice(-600)}`));
      });
    });
    const res = out.split("\n").filter((l) => l.length > 0).map((l) => {
      const i = l.lastIndexOf(" ");
      return { out: l.slice(0, i), instructions: Number(l.slice(i + 1)) };
    });
    if (res.length !== lines.length) throw new Error(`the kernel harness answered ${res.length} of ${lines.length} lines`);
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
