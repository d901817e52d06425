// pindai ports: the serial ports on this computer, and which of them answer
// as pindai devices (their ids and firmware). Ports are found in /dev by name
// (node-serialport's list needs udevadm, which containers and small boards
// often lack); each is asked ID and VERSION, in parallel, with a short timeout.
import { readdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { parse, parseInteger } from "../args";
import { DeviceClient, DeviceError, openLink } from "../../issuer/device-client";
import { parseAddresses } from "../fleet/targets";
import type { Io } from "../cli";

export const portsHelp = `pindai ports [--all] [--probe PATH|tcp://HOST:PORT,...] [--timeout MS] [--json]

Lists the serial ports here (USB-serial adapters and boards: /dev/ttyUSB*,
/dev/ttyACM*, /dev/ttyAMA*, /dev/rfcomm*, /dev/cu.*; with --all also the
built-in /dev/ttyS*) and asks each whether it is a pindai device: one line
per port with the device's id and firmware, or why not. --probe adds ports or
addresses that are not in /dev by those names (a pty, a device on the
network). Nothing is changed on any device. Exit 0 (also when none answers).`;

const USUAL = /^(ttyUSB\d+|ttyACM\d+|ttyAMA\d+|rfcomm\d+|cu\..+)$/;

/** Serial ports in /dev by their names; /dev/serial/by-id names them when udev made those links. */
export function serialPorts(all: boolean): { path: string; name?: string }[] {
  const byId = new Map<string, string>();
  try {
    for (const n of readdirSync("/dev/serial/by-id")) byId.set(realpathSync(join("/dev/serial/by-id", n)), n);
  } catch {
    /* no udev links */
  }
  let names: string[] = [];
  try {
    names = readdirSync("/dev");
  } catch {
    return [];
  }
  return names
    .filter((n) => USUAL.test(n) || (all && /^ttyS\d+$/.test(n)))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
    .map((n) => ({ path: join("/dev", n), name: byId.get(join("/dev", n)) }));
}

export async function ports(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { all: { type: "boolean" }, probe: { type: "string" }, timeout: { type: "string" }, json: { type: "boolean" } });
  if (values.help) return io.help(portsHelp);
  const timeoutMs = values.timeout ? parseInteger(values.timeout, "timeout", 100, 60000) : 1500;
  const found = serialPorts(values.all === true);
  const extra = values.probe === undefined ? [] : parseAddresses(values.probe, "--probe").map((path) => ({ path, name: undefined }));
  const list = [...found, ...extra.filter((e) => !found.some((f) => f.path === e.path))];
  const results = await Promise.all(
    list.map(async (p) => {
      let client: DeviceClient | undefined;
      try {
        client = new DeviceClient(await openLink(p.path, { timeoutMs }));
        const id = await client.identify();
        const version = await client.version();
        return { port: p.path, name: p.name ?? null, device: id.id, publicKey: id.publicKey, firmware: version, answer: null as string | null };
      } catch (e) {
        if (!(e instanceof DeviceError)) throw e;
        return { port: p.path, name: p.name ?? null, device: null, publicKey: null, firmware: null, answer: e.message };
      } finally {
        await client?.link.close().catch(() => {});
      }
    }),
  );
  if (values.json) io.out(JSON.stringify(results));
  else {
    for (const r of results) io.out(`${r.port}${r.name ? ` (${r.name})` : ""}  ${r.device ? `pindai device ${r.device} (${r.firmware})` : `no pindai device: ${r.answer}`}`);
    const n = results.filter((r) => r.device).length;
    io.out(list.length === 0 ? "no serial ports found (--all adds /dev/ttyS*, --probe adds others)" : `${list.length} port(s), ${n} pindai device(s)`);
  }
  return 0;
}
