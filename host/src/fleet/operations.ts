// What each fleet command does to one device, over a connected client. Every
// step that changes a device is confirmed with the device's signed STATUS (an
// OK on the line is not proof: a relay can say it), and every contact updates
// what the fleet knows of it. A device with another key than its enrolled
// one, or a revoked one, is refused before anything is asked of it.
import { createHash } from "node:crypto";
import { decodeSign1 } from "../../../firmware/core/cose";
import { parseKeysetPayload } from "../../../firmware/core/keyset";
import { CliError } from "../../issuer/errors";
import { DeviceError, type AdminKey, type DeviceClient, type DeviceStatus } from "../../issuer/device-client";
import { nowSeconds } from "../args";
import { pullPages } from "./evidence";
import type { FleetStore } from "./store";

export type Sub = "enroll" | "provision" | "set-time" | "push-keyset" | "pull-logs";

export interface KeysetFile {
  bytes: Uint8Array;
  version: number;
  issued: number;
  nextUpdate: number;
  sha256: string;
}

export interface OpContext {
  store: FleetStore;
  key?: AdminKey;
  /** The key is a root: it may set an untrusted clock before any key set is installed. */
  keyIsRoot: boolean;
  keyset?: KeysetFile;
  /** set-time: this time instead of the computer's (unix seconds). */
  at?: number;
  /** enroll/provision: the label and location given to the devices; other commands: only devices with this label. */
  label?: string;
  location?: string;
  /** Only these device ids (others are skipped). */
  ids?: Set<string>;
  dryRun: boolean;
}

export interface Outcome {
  address: string;
  device?: string;
  ok: boolean;
  skipped?: boolean;
  text: string;
  hint?: string;
  data?: Record<string, unknown>;
}

/** A key set file: checked as a signed key set (its root is the device's to check), its dates read. */
export function keysetFile(bytes: Uint8Array, path: string): KeysetFile {
  const s = decodeSign1(bytes);
  if (!s.ok) throw new CliError(`${path} is not a signed key set (${s.verdict})`);
  const ks = parseKeysetPayload(s.sign1.payload, bytes);
  if (typeof ks === "string") throw new CliError(`${path} is not a key set: ${ks}`);
  return { bytes, version: ks.version, issued: ks.issued, nextUpdate: ks.nextUpdate, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/** Where an error needs another step first, the step. */
export function hintFor(e: DeviceError, step: string): string | undefined {
  const code = e.code.replace(/:$/, "");
  if (step === "TIME" && code === "UNKNOWN_KEY") return "the device does not know this admin key yet: push the key set that lists it first (pindai fleet push-keyset, or pindai fleet provision, which does both in order), or sign with a root key";
  if (step === "KEYSET" && code === "UNKNOWN_KEY") return "the key set is signed by a root this device's firmware does not have: flash it with the agency's roots (pindai run --config, pindai sim --root)";
  if (step === "KEYSET" && code === "OLDER") return "the device has a newer key set: push that one or a newer one";
  if (code === "CLOCK_NOT_TRUSTED") return "the device's clock is not trusted (new, or its clock battery died), so no admin key's window can be judged: set its time with a root key first (--admin-key root.json; pindai fleet provision does it in order)";
  if (code === "KEY_NOT_VALID") return "the admin key is outside its validity window on the device's clock";
  if (code === "NOT_ADMIN") return "--admin-key is not an admin key in the device's key set";
  if (code === "BAD_SIGNATURE") return "--admin-key does not match the key the device has under that kid";
  if (code === "TIMEOUT" || code === "CONNECT") return "is the device on and its cable or network up? it is in the retry list";
  return undefined;
}

const ago = (t: number) => new Date(t * 1000).toISOString().slice(0, 19) + "Z";
const sign = (n: number) => (n >= 0 ? "+" : "") + n;

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DeviceError) {
      const hint = hintFor(e, name);
      throw Object.assign(new DeviceError(e.code, `${name}: ${e.message}`), { hint });
    }
    throw e;
  }
}

/** Record what a signed STATUS said; the device's clock drift is measured against this computer's. */
async function contact(ctx: OpContext, id: string, address: string, st: DeviceStatus): Promise<number> {
  const now = Math.floor(Date.now() / 1000); // the device's clock counts whole seconds
  if (!ctx.dryRun) await ctx.store.seen(id, { address, firmware: st.version.slice(0, 100), keyset: st.keyset, rtc: st.rtc, trusted: st.trusted, floor: st.floor, at: now });
  return Math.round(st.rtc - now);
}

function describe(st: DeviceStatus, drift: number): string {
  return `key set ${st.keyset === 0 ? "none" : "v" + st.keyset}, clock ${st.trusted ? `trusted (${sign(drift)} s)` : "NOT TRUSTED"}`;
}

/** Run one command on the device behind `c` (connected to `address`). Device errors are thrown (DeviceError, with a hint). */
export async function operate(sub: Sub, c: DeviceClient, address: string, ctx: OpContext): Promise<Outcome> {
  const { id, publicKey } = await step("ID", () => c.identify());
  const out = (ok: boolean, text: string, data: Record<string, unknown> = {}, skipped = false): Outcome => ({ address, device: id, ok, skipped, text, data });
  const known = await ctx.store.device(id);
  if (known && known.publicKey !== publicKey) throw new DeviceError("WRONG_DEVICE", `${id} is enrolled with another public key: refused`);
  if (known?.revokedAt) return out(false, `device ${id} was revoked on ${ago(known.revokedAt)}${known.revokedReason ? ` (${known.revokedReason})` : ""}: its answers are refused`);
  if (ctx.ids !== undefined && !ctx.ids.has(id)) return out(true, "not a device asked for: skipped", {}, true);
  const enrolling = sub === "enroll" || sub === "provision";
  if (!enrolling && ctx.label !== undefined && known?.label !== ctx.label) return out(true, `not labelled ${ctx.label}: skipped`, {}, true);
  if (!enrolling && !known) return { ...out(false, `device ${id} is not enrolled`), hint: "pindai fleet enroll (or provision) first" };

  // The signed STATUS names the firmware too: no VERSION round trip.
  let st = await step("STATUS", () => c.status());
  if (enrolling && !ctx.dryRun) await ctx.store.enroll({ id, publicKey, address, firmware: st.version.slice(0, 100), label: ctx.label, location: ctx.location });
  let drift = await contact(ctx, id, address, st);

  switch (sub) {
    case "enroll":
      return out(true, `${known ? "enrolled already" : ctx.dryRun ? "would enroll" : "enrolled"}, firmware ${st.version}, ${describe(st, drift)}`, { status: st, drift });
    case "push-keyset": {
      const ks = ctx.keyset!;
      if (st.keyset >= ks.version) return out(true, `has key set v${st.keyset} already (this one is v${ks.version})`, { keyset: st.keyset });
      if (ctx.dryRun) return out(true, `would install key set v${ks.version} (has ${st.keyset === 0 ? "none" : "v" + st.keyset})`);
      st = await installKeyset(c, ctx);
      await contact(ctx, id, address, st);
      return out(true, `key set v${st.keyset} installed (confirmed by the device's signed STATUS)`, { keyset: st.keyset });
    }
    case "set-time": {
      if (ctx.dryRun) return out(true, `would set the clock (now ${st.trusted ? sign(drift) + " s off" : "not trusted"})`, { drift });
      const before = st.trusted ? `was ${sign(drift)} s off` : "was not trusted";
      st = await setTime(c, ctx);
      drift = await contact(ctx, id, address, st);
      return out(true, `clock set (${before}; now ${sign(drift)} s)`, { drift });
    }
    case "provision": {
      const ks = ctx.keyset;
      const needKeyset = ks !== undefined && st.keyset < ks.version;
      const needTime = !st.trusted || Math.abs(drift) > 2 || ctx.at !== undefined;
      if (ctx.dryRun) return out(true, [needKeyset ? `would install key set v${ks!.version}` : "key set ok", needTime ? "would set the clock" : "clock ok"].join(", "));
      if (!needKeyset && st.keyset === 0) return { ...out(false, "has no key set: a device without one never says OK"), hint: "give --keyset FILE" };
      // A root may set an untrusted clock first (a key set is then checked against a trusted time);
      // an admin key is known to the device only through the key set: the key set first.
      if (needTime && ctx.keyIsRoot) st = await setTime(c, ctx);
      if (needKeyset) st = await installKeyset(c, ctx);
      if (needTime && !ctx.keyIsRoot) st = await setTime(c, ctx);
      drift = await contact(ctx, id, address, st);
      if (ks !== undefined) confirmKeyset(st, ks);
      if (!st.trusted) return out(false, `clock still not trusted after TIME (${describe(st, drift)})`);
      return out(true, `provisioned: firmware ${st.version}, ${describe(st, drift)}`, { status: st, drift });
    }
    case "pull-logs": {
      const have = await ctx.store.maxSeq(id);
      // A device whose log restarted (a WIPE) is read from its beginning; (device, seq) keeps one copy.
      const from = st.logLast >= have ? have + 1 : 0;
      if (ctx.dryRun) return out(true, `would pull records from ${from} (the device's last is ${st.logLast})`);
      let added = 0;
      let refused = false;
      const got = await pullPages(c, from, async (p) => {
        if (p.records.length === 0) return; // nothing new: no page to keep
        const n = await ctx.store.addPage(id, p.nonce, p.answer, p.records);
        if (n === undefined) refused = true;
        else added += n;
      });
      if (refused) return out(false, `revoked while pulling: its pages are refused`);
      return out(true, `${got} records pulled, ${added} new`, { pulled: got, added });
    }
  }
}

// A change's answer carries the device's STATUS taken after it, signed over
// our challenge (DeviceClient.lastStatus): as good as asking STATUS again, a
// round trip and a device signature less.
async function installKeyset(c: DeviceClient, ctx: OpContext): Promise<DeviceStatus> {
  const ks = ctx.keyset!;
  await step("KEYSET", () => c.installKeyset(ks.bytes));
  const st = c.lastStatus!;
  confirmKeyset(st, ks);
  return st;
}

async function setTime(c: DeviceClient, ctx: OpContext): Promise<DeviceStatus> {
  if (ctx.key === undefined) throw new CliError("setting the clock is signed: give --admin-key FILE");
  const at = ctx.at ?? nowSeconds();
  await step("TIME", () => c.setTime(at));
  const st = c.lastStatus!;
  if (!st.trusted) throw new DeviceError("NOT_CONFIRMED", "TIME: the device answered OK, but its signed STATUS says its clock is not trusted");
  return st;
}

/** An OK on the line is not proof (a relay can say it): the device's signed STATUS must show the set. */
function confirmKeyset(st: DeviceStatus, ks: KeysetFile): void {
  if (st.keyset < ks.version) throw new DeviceError("NOT_CONFIRMED", `KEYSET: the device answered OK, but its signed STATUS says key set ${st.keyset === 0 ? "none" : "v" + st.keyset}, not v${ks.version}`);
}
