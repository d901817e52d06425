// Read a card through a PN532 on a serial port, with the same firmware driver
// the devices run (firmware/reader) on Node's serial, timer and random HALs.
import { SerialPort } from "serialport";
import type { CardReader } from "../../firmware/hal/card-reader";
import { Pn532, type Pn532Options } from "../../firmware/reader/pn532/pn532";
import { readCard, type CardSessionResult } from "../../firmware/reader/card-session";
import { nodeSerial, type NodePort } from "../../firmware/targets/node/serial";
import { nodeTimers } from "../../firmware/targets/node/timers";
import { nodeRandom } from "../../firmware/targets/node/random";

export interface CardReadOptions extends Pn532Options {
  detectTimeoutMs?: number;
}

/** Wake the PN532 and read one card over an already open port. */
export function readCardWith(port: NodePort, opts: CardReadOptions = {}): Promise<CardSessionResult> {
  const reader: CardReader = new Pn532(nodeSerial(port), nodeTimers(), opts);
  return new Promise((resolve) => {
    reader.wake((fault) => {
      if (fault !== undefined) return resolve({ ok: false, error: "READER", detail: "WAKE_" + fault.detail });
      readCard(reader, nodeRandom, resolve, { detectTimeoutMs: opts.detectTimeoutMs });
    });
  });
}

/** Open PATH at 115200 8N1, read one card, close. */
export async function readCardOnPort(path: string, opts: CardReadOptions = {}): Promise<CardSessionResult> {
  const port = new SerialPort({ path, baudRate: 115200, dataBits: 8, parity: "none", stopBits: 1, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  try {
    return await readCardWith(port, opts);
  } finally {
    await new Promise<void>((res) => port.close(() => res()));
  }
}
