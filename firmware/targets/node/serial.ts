// Serial HAL on Node: any node-serialport port (a real UART, a pty, or the
// MockBinding of the tests).
import type { Serial } from "../../hal/serial";

/** What the HAL needs of a node-serialport SerialPort (or SerialPortStream). */
export interface NodePort {
  write(data: Buffer): unknown;
  on(event: "data", fn: (chunk: Buffer) => void): unknown;
  close(cb?: (err?: Error | null) => void): unknown;
  isOpen?: boolean;
}

export function nodeSerial(port: NodePort): Serial {
  return {
    write(data) {
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
