// Opening the ports the commands are given, each failure one sentence that
// says which port and why: serial ports for the Node firmware (pindai sim,
// pindai run); tcp://HOST:PORT links (pindai flash, device, fleet) are in
// host/issuer/tcp.ts.
import { failed } from "../issuer/errors";
import { portReason } from "../issuer/files";
import type { Serial } from "../../firmware/hal/serial";

export { connectTcp, floodGuard, parseTcp } from "../issuer/tcp";

/** Answers queued for a peer that does not read are dropped beyond this (firmware/targets/node/serial.ts). */
export { MAX_WRITE_BACKLOG } from "../../firmware/targets/node/serial";

export async function openPort(path: string, baudRate: number, what: string): Promise<Serial> {
  const { openSerial } = await import("../../firmware/targets/node/serial");
  return openSerial(path, baudRate).catch((e) => {
    throw failed(`cannot open ${what} ${path}: ${portReason(e)}`, e);
  });
}
