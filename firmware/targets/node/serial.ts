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
