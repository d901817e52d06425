// The Lua image as a running device on the stdio HAL (firmware/targets/lua/
// stdio-hal.lua): admin lines as "A <line>" answered by "< <reply>", scan
// engine lines as "U 1 <text>", time as "W <ms>"; every output line is kept.
// As a LineLink, so the host tools drive it exactly as they drive a port.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { LineLink } from "../../host/issuer/device-client";

export interface LuaDevice extends LineLink {
  lines: string[];
  send(line: string): void;
  /** Resolves once an output line matching re appears (after `from`). */
  waitFor(re: RegExp, from?: number): Promise<string>;
}

export function luaDevice(bin: string, image: string, flashDir: string): LuaDevice {
  const proc: ChildProcess = spawn(bin, [join(process.cwd(), "firmware/targets/lua/stdio-hal.lua"), "--flash", flashDir, image], { stdio: ["pipe", "pipe", "pipe"] });
  const lines: string[] = [];
  let partial = "";
  let stderr = "";
  const waiters: Array<() => void> = [];
  proc.stdout!.on("data", (d: Buffer) => {
    partial += d.toString("latin1");
    const parts = partial.split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const waitFor = async (re: RegExp, from = 0): Promise<string> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const hit = lines.slice(from).find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`no line matching ${re} from the Lua device; stderr: ${stderr}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  return {
    lines,
    send: (line) => void proc.stdin!.write(line + "\n"),
    waitFor,
    async request(line) {
      const from = lines.length;
      proc.stdin!.write("A " + line + "\n");
      return (await waitFor(/^< /, from)).slice(2);
    },
    async close() {
      proc.stdin!.end();
      await new Promise((r) => (proc.exitCode !== null ? r(0) : proc.on("exit", r)));
    },
  };
}
