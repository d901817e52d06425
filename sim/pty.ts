// A linked pair of pseudo-terminals made by socat: what one end writes, the
// other reads, through the kernel's tty layer, like a UART cable.
import { spawn, type ChildProcess } from "node:child_process";

export interface PtyLink {
  a: string;
  b: string;
  close(): void;
}

export function openPtyPair(): Promise<PtyLink> {
  const socat: ChildProcess = spawn("socat", ["-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"], { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error("socat did not report its ptys: " + text)), 5000);
    socat.stderr!.on("data", (d) => {
      text += d.toString();
      const found = [...text.matchAll(/PTY is (\/dev\/pts\/\d+)/g)].map((m) => m[1]);
      if (found.length === 2) {
        clearTimeout(timer);
        resolve({ a: found[0], b: found[1], close: () => socat.kill() });
      }
    });
    socat.on("error", (e) => reject(e));
    socat.on("exit", (code) => reject(new Error(`socat exited (${code}): ${text}`)));
  });
}
