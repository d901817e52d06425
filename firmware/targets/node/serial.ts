// Serial HAL on Node: any node-serialport port (a real UART, a pty, or the
// MockBinding of the tests).
import type { Serial } from "../../hal/serial";

/** What the HAL needs of a node-serialport SerialPort (or SerialPortStream). */
export interface NodePort {
  write(data: Buffer): unknown;
  on(event: "data", fn: (chunk: Buffer) => void): unknown;
  on(event: "error", fn: (e: Error) => void): unknown;
  close(cb?: (err?: Error | null) => void): unknown;
  isOpen?: boolean;
  /** Bytes queued and not yet taken by the OS (a stream's writableLength). */
  writableLength?: number;
}

/** Bytes a port may have queued: a peer that never reads gets answers dropped beyond this, memory stays flat. */
export const MAX_WRITE_BACKLOG = 64 * 1024;

export function nodeSerial(port: NodePort): Serial {
  // A port's errors (a write cancelled by close, a cable pulled) are not crashes: an 'error'
  // event without a listener would end the process with a stack trace.
  port.on("error", () => {});
  return {
    write(data) {
      if ((port.writableLength ?? 0) > MAX_WRITE_BACKLOG) return;
      port.write(Buffer.from(data));
    },
    onData(handler) {
      port.on("data", (chunk) => handler(new Uint8Array(chunk)));
    },
    close() {
      if (port.isOpen !== false) port.close();
    },
  };
}

/** Opens a serial port (a UART, a USB-serial adapter, a pty) for the Serial HAL; rejects with node-serialport's error. */
export async function openSerial(path: string, baudRate: number): Promise<Serial> {
  const { SerialPort } = await import("serialport");
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  return nodeSerial(port);
}

/** A byte stream as a receive-only line (standard input: a keyboard-wedge scanner types there). */
export function inputSerial(stream: NodeJS.ReadableStream & { pause(): unknown }): Serial {
  return {
    write() {},
    onData(handler) {
      stream.on("data", (chunk: Buffer | string) => handler(new Uint8Array(typeof chunk === "string" ? Buffer.from(chunk) : chunk)));
    },
    close() {
      stream.pause();
    },
  };
}
