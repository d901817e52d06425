// Opening the ports the commands are given, each failure one sentence that
// says which port and why: serial ports for the Node firmware (pindai sim,
// pindai run); tcp://HOST:PORT links (pindai flash, device, fleet) are in
// host/issuer/tcp.ts.
import { failed } from "../issuer/errors";
import { portReason } from "../issuer/files";
import type { Serial } from "../../firmware/hal/serial";

export { connectTcp, floodGuard, parseTcp } from "../issuer/tcp";

/**
 * Bytes queued for a peer that does not read (a pty whose other end only
 * sends) before further writes are dropped: a device's replies are lines, and
 * a line the peer will never read is not worth memory.
 */
export const MAX_WRITE_BACKLOG = 64 * 1024;

export async function openPort(path: string, baudRate: number, what: string): Promise<Serial> {
  const { SerialPort } = await import("serialport");
  const { nodeSerial } = await import("../../firmware/targets/node/serial");
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(failed(`cannot open ${what} ${path}: ${portReason(e)}`, e)) : resolve())));
  // A port closed under a pending read (Ctrl-C, an unplugged adapter) reports an error: it ends the line, it is not a crash.
  port.on("error", (e) => {
    if (process.env.PINDAI_DEBUG) process.stderr.write(`${what} ${path}: ${e.message}\n`);
  });
  return nodeSerial({
    write: (data: Buffer) => (port.writableLength > MAX_WRITE_BACKLOG ? false : port.write(data)),
    on: (event: "data", fn: (chunk: Buffer) => void) => port.on(event, fn),
    close: (cb?: (err?: Error | null) => void) => port.close(cb),
    get isOpen() {
      return port.isOpen;
    },
  });
}
