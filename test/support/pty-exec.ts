// A program whose console is a pty (socat EXEC), as a device's USB console
// would be; resolves with the pty's path. Kill the returned process to stop it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";

export function ptyExec(command: string, cwd: string): Promise<{ path: string; proc: ChildProcess }> {
  // Its own process group, so killTree() ends socat and the program together.
  const socat = spawn("socat", ["-d", "-d", "pty,raw,echo=0", `EXEC:${command},pty,raw,echo=0,setsid,ctty,stderr`], { cwd, detached: true });
  return new Promise((res, rej) => {
    let text = "";
    const timer = setTimeout(() => rej(new Error("socat: " + text)), 5000);
    socat.stderr!.on("data", (d) => {
      text += d.toString();
      const m = /PTY is (\/dev\/pts\/\d+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        res({ path: m[1], proc: socat });
      }
    });
    socat.on("error", rej);
  });
}

/** Kill a ptyExec'd program and socat (SIGKILL: Espruino for Linux ignores SIGTERM and SIGHUP). */
export function killTree(proc: ChildProcess): void {
  // The program runs in its own session (setsid): end socat's children by parent id first.
  if (proc.pid !== undefined) spawnSync("pkill", ["-9", "-P", String(proc.pid)]);
  try {
    if (proc.pid !== undefined) process.kill(-proc.pid, "SIGKILL");
  } catch {
    proc.kill("SIGKILL");
  }
}
