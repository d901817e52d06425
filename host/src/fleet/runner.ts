// Many devices at once: up to N connections in parallel, one line per device
// as each ends (or one JSON document at the end), a progress bar on a
// terminal, and the failed ones written to a retry list.
import { DeviceClient, DeviceError, openLink, type AdminKey } from "../../issuer/device-client";
import type { Io } from "../cli";
import type { Outcome } from "./operations";

export interface RunOptions {
  parallel: number;
  timeoutMs: number;
  key?: AdminKey;
  json: boolean;
  io: Io;
  /** Draw a progress bar on this stream (a terminal), cleared before each line. */
  bar?: NodeJS.WriteStream;
}

/** Connect to each address, run fn, close; a device error is a failed outcome with its hint, never a throw. */
export async function runOnDevices(addresses: string[], o: RunOptions, fn: (c: DeviceClient, address: string) => Promise<Outcome>): Promise<Outcome[]> {
  const results: Outcome[] = new Array(addresses.length);
  let next = 0;
  let done = 0;
  let failed = 0;
  const width = String(addresses.length).length;
  const draw = () => {
    if (!o.bar || o.json) return;
    const cols = 30;
    const fill = Math.round((done / addresses.length) * cols);
    o.bar.write(`\r\x1b[K[${"#".repeat(fill)}${".".repeat(cols - fill)}] ${done}/${addresses.length}${failed ? ` (${failed} failed)` : ""}`);
  };
  const report = (i: number, r: Outcome) => {
    results[i] = r;
    done++;
    if (!r.ok) failed++;
    if (!o.json) {
      if (o.bar) o.bar.write("\r\x1b[K");
      const line = `[${String(done).padStart(width)}/${addresses.length}] ${r.address}${r.device ? " " + r.device : ""}: ${r.ok ? "" : "FAILED: "}${r.text}`;
      (r.ok ? o.io.out : o.io.err)(line);
      if (r.hint) o.io.err(`    hint: ${r.hint}`);
    }
    draw();
  };
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= addresses.length) return;
      report(i, await one(addresses[i], o, fn));
    }
  };
  draw();
  await Promise.all(Array.from({ length: Math.min(o.parallel, addresses.length) }, worker));
  if (o.bar && !o.json) o.bar.write("\r\x1b[K");
  return results;
}

async function one(address: string, o: RunOptions, fn: (c: DeviceClient, address: string) => Promise<Outcome>): Promise<Outcome> {
  let client: DeviceClient | undefined;
  try {
    client = new DeviceClient(await openLink(address, { timeoutMs: o.timeoutMs }), o.key);
    return await fn(client, address);
  } catch (e) {
    if (!(e instanceof DeviceError)) throw e;
    const device = client && client.id.length > 0 ? Buffer.from(client.id).toString("hex") : undefined;
    const hint = (e as DeviceError & { hint?: string }).hint ?? (e.code === "TIMEOUT" || e.code === "CONNECT" ? "is the device on and its cable or network up? it is in the retry list" : undefined);
    return { address, device, ok: false, text: e.message, hint };
  } finally {
    await client?.link.close().catch(() => {});
  }
}
