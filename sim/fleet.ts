// Many simulated devices in one process, each a whole verifier (its own
// device key, flash and clock) with its admin line on a TCP port of its own,
// consecutive from the first: pindai sim --devices N --admin-listen HOST:PORT,
// for an agency's trials and the fleet's scale benchmark. They start as new
// devices do: no key set, clock not set; the agency provisions them.
import type { RootKey } from "../firmware/core/keyset";
import { DEFAULT_CLEAR_AFTER_MS, REPLAY_WARN } from "../firmware/core/policy";
import { DEFAULT_LANG, type Lang } from "../firmware/app/i18n";
import { listenAdmin, type AdminListener } from "../firmware/targets/node/admin-tcp";
import { makeBaseTable } from "../firmware/core/ed25519-table-make";
import { SimDevice } from "./device";
import { SimFlash } from "./flash";
import { VirtualRtc } from "./rtc";
import { makeWorld, type World } from "./world";

export const MAX_SIM_DEVICES = 5000;

export interface SimFleetOptions {
  count: number;
  host: string;
  /** The first device's port; device i listens on port + i (0: each on a port the system picks). */
  port: number;
  /** The roots the devices trust (default: the simulated agency's, see world). */
  roots?: RootKey[];
  lang?: Lang;
  /** Unix seconds at which the firmware was built (its clock floor). */
  buildTime?: number;
}

export interface SimFleet {
  /** The simulated agency (its keys are what pindai sim --write-keys writes). */
  world: World;
  devices: SimDevice[];
  ports: number[];
  close(): Promise<void>;
}

export async function startSimFleet(o: SimFleetOptions): Promise<SimFleet> {
  if (!(Number.isInteger(o.count) && o.count >= 1 && o.count <= MAX_SIM_DEVICES)) throw new RangeError(`1 to ${MAX_SIM_DEVICES} devices`);
  if (o.port + o.count - 1 > 65535) throw new RangeError(`ports ${o.port} to ${o.port + o.count - 1}: past 65535`);
  // The same seeded agency as pindai sim, so --write-keys gives keys these devices accept.
  const world = makeWorld(Math.floor(Date.now() / 1000), REPLAY_WARN, "pindai-sim");
  const devices: SimDevice[] = [];
  const listeners: AdminListener[] = [];
  // No Ed25519 tables in each device's flash: a thousand devices in one
  // process stay light. But the base point's table is the same for every
  // device, so one in memory serves them all: each signed answer (STATUS,
  // TIME, KEYSET, LOG) then costs a device about a third of the CPU.
  const base = makeBaseTable();
  try {
    for (let i = 0; i < o.count; i++) {
      const d = new SimDevice({ roots: o.roots ?? world.roots, buildTime: o.buildTime ?? 1_767_225_600, version: "sim", lang: o.lang ?? DEFAULT_LANG, clearAfterMs: DEFAULT_CLEAR_AFTER_MS, tables: false, flash: new SimFlash(), rtc: new VirtualRtc(0, 1) });
      d.app.tables.tables.base = base;
      devices.push(d);
      listeners.push(await listenAdmin((s) => d.connectAdmin(s), { host: o.host, port: o.port === 0 ? 0 : o.port + i }));
    }
  } catch (e) {
    await Promise.all(listeners.map((l) => l.close()));
    throw e;
  }
  return { world, devices, ports: listeners.map((l) => l.port), close: async () => void (await Promise.all(listeners.map((l) => l.close()))) };
}
