// A serial port for the Node firmware (pindai sim, pindai run): opened now,
// or one sentence that says which port and why not.
import { CliError } from "../issuer/errors";
import { portReason } from "../issuer/files";
import type { Serial } from "../../firmware/hal/serial";

export async function openPort(path: string, baudRate: number, what: string): Promise<Serial> {
  const { openSerial } = await import("../../firmware/targets/node/serial");
  return openSerial(path, baudRate).catch((e) => {
    throw new CliError(`cannot open ${what} ${path}: ${portReason(e)}`);
  });
}
