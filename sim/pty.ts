// Pseudo-terminals made by socat: a linked pair (what one end writes, the
// other reads, through the kernel's tty layer, like a UART cable), or one
// pty fed from a pipe whose output nobody reads.
import { spawn, type ChildProcess } from "node:child_process";

export interface PtyLink {
  a: string;
  b: string;
  close(): void;
}

/** socat with these addresses, once it has reported `count` ptys (their paths, in order). */
function socatPtys(args: string[], count: number, stdin: "ignore" | "pipe"): Promise<{ socat: ChildProcess; paths: string[] }> {
  const socat: ChildProcess = spawn("socat", ["-d", "-d", ...args], { stdio: [stdin, "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error("socat did not report its ptys: " + text)), 5000);
    socat.stderr!.on("data", (d) => {
      text += d.toString();
      const found = [...text.matchAll(/PTY is (\/dev\/pts\/\d+)/g)].map((m) => m[1]);
      if (found.length === count) {
        clearTimeout(timer);
        resolve({ socat, paths: found });
      }
    });
    socat.on("error", (e) => reject(e));
    socat.on("exit", (code) => reject(new Error(`socat exited (${code}): ${text}`)));
  });
}

export async function openPtyPair(): Promise<PtyLink> {
  const { socat, paths } = await socatPtys(["pty,raw,echo=0", "pty,raw,echo=0"], 2, "ignore");
  return { a: paths[0], b: paths[1], close: () => socat.kill() };
}

/** A pty whose output nobody ever reads: what `pour` writes reaches
 *  the program on `path`, and what the program writes stays in the kernel's
 *  buffer (socat -u never reads the master), as with a peer that never reads.
 *  Nothing here relays the other way, so no relay can stall the input. */
export interface OneWayPty {
  path: string;
  /**
   * Writes `chunk` again and again, each once socat took the one before (it
   * takes only what the program reads), until `want` bytes, `ms` passed or
   * `alive()` is false; the bytes written.
   */
  pour(chunk: Buffer, want: number, ms: number, alive: () => boolean): Promise<number>;
  close(): void;
}

export async function openOneWayPty(): Promise<OneWayPty> {
  const { socat, paths } = await socatPtys(["-u", "STDIN", "pty,raw,echo=0"], 1, "pipe");
  const input = socat.stdin!;
  input.on("error", () => {}); // socat gone: the caller's own checks say what failed
  return {
    path: paths[0],
    async pour(chunk, want, ms, alive) {
      let poured = 0;
      for (const deadline = Date.now() + ms; poured < want && Date.now() < deadline && alive(); poured += chunk.length) {
        await new Promise<void>((res) => (input.write(chunk) ? res() : input.once("drain", () => res())));
      }
      return poured;
    },
    close: () => socat.kill(),
  };
}

/**
 * Writes `text` in pieces of `piece` bytes, `gapMs` apart. For Espruino for
 * Linux built 32-bit (-m32, as the fixed-pool builds are): its input thread
 * reads a serial device every 50 ms, 1 ms while bytes keep coming, and
 * pushes them into the input queue that the main loop pops without a lock.
 * Measured on 2v29 with 334-byte lines: poured at once, 8 bytes every 9 ms
 * or a byte a millisecond, 20 lines of 20 arrived with bytes missing; 16
 * bytes every 60 ms, 20 of 20 whole; the 64-bit build lost none poured at
 * once. A board's UART interrupt does not race its main loop this way, so
 * the tests send at a pace the Linux build survives.
 */
export async function writePaced(port: { write(b: Buffer): unknown }, text: string, piece = 16, gapMs = 60): Promise<void> {
  const b = Buffer.from(text, "latin1");
  for (let i = 0; i < b.length; i += piece) {
    port.write(b.subarray(i, i + piece));
    await new Promise((r) => setTimeout(r, gapMs));
  }
}
