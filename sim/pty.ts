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

/** A pty whose output nobody ever reads: what is written to `input` reaches
 *  the program on `path`, and what the program writes stays in the kernel's
 *  buffer (socat -u never reads the master), as with a peer that never reads.
 *  Nothing here relays the other way, so no relay can stall the input. */
export interface OneWayPty {
  path: string;
  input: NodeJS.WritableStream;
  close(): void;
}

export function openOneWayPty(): Promise<OneWayPty> {
  const socat: ChildProcess = spawn("socat", ["-d", "-d", "-u", "STDIN", "pty,raw,echo=0"], { stdio: ["pipe", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error("socat did not report its pty: " + text)), 5000);
    socat.stdin!.on("error", () => {}); // socat gone: the test's own checks say what failed
    socat.stderr!.on("data", (d) => {
      text += d.toString();
      const found = /PTY is (\/dev\/pts\/\d+)/.exec(text);
      if (found) {
        clearTimeout(timer);
        resolve({ path: found[1], input: socat.stdin!, close: () => socat.kill() });
      }
    });
    socat.on("error", (e) => reject(e));
    socat.on("exit", (code) => reject(new Error(`socat exited (${code}): ${text}`)));
  });
}
