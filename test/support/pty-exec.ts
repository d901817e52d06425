// A program whose console is a pty (socat EXEC), as a device's USB console
// would be; resolves with the pty's path. Kill the returned process with
// killTree to stop it; socat and the program both die with the test process
// anyway (support/children.ts), so a failed or timed-out test leaves nothing.
import type { ChildProcess } from "node:child_process";
import { dyingWithParent, killChild, spawnChild } from "./children";

export function ptyExec(command: string, cwd: string): Promise<{ path: string; proc: ChildProcess }> {
  // socat in its own process group (detached); the program in its own session (setsid), dying with socat.
  const exec = dyingWithParent(command).join(" ");
  const socat = spawnChild("socat", ["-d", "-d", "pty,raw,echo=0", `EXEC:${exec},pty,raw,echo=0,setsid,ctty,stderr`], { cwd, detached: true });
  return new Promise((res, rej) => {
    let text = "";
    const timer = setTimeout(() => {
      killChild(socat);
      rej(new Error("socat: " + text));
    }, 5000);
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
export const killTree = killChild;
