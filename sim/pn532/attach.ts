// Two ways to put the emulator on the other end of the firmware's serial
// port: node-serialport's MockBinding (fast, in-process) and a real pty pair
// made by socat, with node-serialport on both ends.
import { openPtyPair } from "../pty";
import { SerialPort, SerialPortMock } from "serialport";
// The mock binding of the SerialPortMock (an @serialport/binding-mock port).
interface MockPortBinding {
  isOpen: boolean;
  emitData(data: Buffer): void;
  write(buf: Buffer): Promise<void>;
}
import { Pn532Emulator, type Faults } from "./emulator";

let mockCount = 0;

/** An open SerialPortMock whose other end is a new emulator. */
export async function attachMock(faults: Faults = {}): Promise<{ port: SerialPortMock; emulator: Pn532Emulator; close(): Promise<void> }> {
  const path = `/dev/pindai-mock-${process.pid}-${mockCount++}`;
  SerialPortMock.binding.createPort(path, { echo: false, record: false });
  const port = new SerialPortMock({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  const binding = port.port as MockPortBinding;
  const emulator = new Pn532Emulator((bytes) => {
    if (binding.isOpen) binding.emitData(Buffer.from(bytes));
  }, faults);
  // What the host writes goes to the emulator instead of the mock's echo.
  const write = binding.write.bind(binding);
  binding.write = async (buf: Buffer) => {
    await write(buf);
    setImmediate(() => emulator.receive(new Uint8Array(buf)));
  };
  return {
    port,
    emulator,
    close: () => new Promise<void>((res) => (port.isOpen ? port.close(() => res()) : res())),
  };
}

export interface PtyPair {
  /** The path the firmware (or `pindai card read`) opens. */
  hostPath: string;
  emulator: Pn532Emulator;
  close(): Promise<void>;
}

/** socat makes two linked ptys; the emulator serves one of them through node-serialport. */
export async function attachPty(faults: Faults = {}): Promise<PtyPair> {
  const link = await openPtyPair();
  const paths = [link.a, link.b];
  const port = new SerialPort({ path: paths[1], baudRate: 115200, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  const emulator = new Pn532Emulator((bytes) => port.write(Buffer.from(bytes)), faults);
  port.on("data", (d: Buffer) => emulator.receive(new Uint8Array(d)));
  return {
    hostPath: paths[0],
    emulator,
    close: async () => {
      await new Promise<void>((res) => (port.isOpen ? port.close(() => res()) : res()));
      link.close();
    },
  };
}
