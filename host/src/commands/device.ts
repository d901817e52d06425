// pindai device: one device's admin line (docs/SPEC.md section 6) over a
// serial port or tcp://. Reads need no key; everything that changes the
// device or reads its log is signed with --admin-key for this device and a
// fresh nonce, and what matters comes back signed by the device's own key:
// every change is believed only from the device's signed answer and the
// STATUS it carries. The id a command is signed for is printed first, and
// --expect-id refuses any other device (a relay to another unit).
import { MAX_KEYSET_BYTES } from "../../../firmware/core/keyset";
import { MAX_DISPLAY_MS, MIN_DISPLAY_MS } from "../../../firmware/app/admin-protocol";
import { LANGS, isLang } from "../../../firmware/app/i18n";
import { readBounded, writeOutput } from "../../issuer/files";
import { parse, parseInteger, parseTime, nowSeconds, required } from "../args";
import { CliError } from "../../issuer/errors";
import { readKeyFile, requireSecret, unhex } from "../../issuer/keyfile";
import { DeviceClient, DeviceError, openLink, type AdminKey, type LogRecord } from "../../issuer/device-client";
import type { Io } from "../cli";
import { renderFramePng } from "../../../sim/index";

export const deviceHelp = `pindai device id|status|time|keyset|logs|screen|lang|display|log-clear|wipe|unlock
              --port PATH|tcp://HOST:PORT [--admin-key FILE] [--expect-id ID] [--json] [--timeout MS] [--baud N]

  id                     the device's id and public key (no key needed)
  status                 its state, signed by the device's key and checked (no key needed)
  time [--at T]          set its clock (default: this computer's time), signed
  keyset --keyset FILE   install a signed key set (it carries its own root signature)
  logs [--csv FILE]      export the audit log, page by page, each page checked against the device's signature
  screen --out FILE.png  what the guard sees now: the frame on the device's panel, signed by the device and
                         checked, drawn as PNG (it may show a holder's name: treat the file as personal data)
  lang ${LANGS.join("|").padEnd(18)}the display language, signed
  display MS             how long a verdict stays on screen (1000-120000 ms), signed
  log-clear              erase the audit log (one record of who cleared it stays), signed
  wipe --yes             back to unprovisioned: key set, log, replay memory and settings erased, signed
  unlock                 Espruino: put the JavaScript console back on the admin line until the next boot
                         (what pindai flash needs to replace the image), signed

--admin-key is a key file with usage admin (listed in the device's key set) or a
root of the firmware; while the device's clock is not trusted only a root may
sign. A signed command names the device it is for: pindai device prints that
id first, and with --expect-id (the id on the device's screen or label) refuses
any other device. Every change is confirmed by the device's signed answer and
the STATUS in it: an unsigned OK fails. Exit 0 done, 1 the device refused or did not answer
(wrong device, stale nonce, bad signature, timeout), 2 usage.`;

export function csvOf(records: LogRecord[]): string {
  const rows = records.map((r) => [r.device, r.seq, r.time, new Date(r.time * 1000).toISOString(), r.verdict, r.source, r.kid, r.nikHash, r.warnings].join(","));
  return ["device,seq,time,time_utc,verdict,source,kid,nik_hash,warnings", ...rows].join("\n") + "\n";
}

export function adminKeyOf(path: string | undefined): AdminKey | undefined {
  if (path === undefined) return undefined;
  const k = readKeyFile(path);
  if (!k.usage.includes("admin") && !k.usage.includes("root")) throw new CliError(`${path} is neither an admin nor a root key (usage ${k.usage.join(",")})`);
  return { secretKey: requireSecret(k, path), kid: unhex(k.kid) };
}

/** Run fn on a connected client; device errors are exit 1 with one line. */
export async function withDevice(port: string, o: { key?: AdminKey; timeoutMs: number; baud?: number }, io: Io, fn: (c: DeviceClient) => Promise<number>): Promise<number> {
  let client: DeviceClient | undefined;
  try {
    client = new DeviceClient(await openLink(port, { timeoutMs: o.timeoutMs, baud: o.baud }), o.key);
    return await fn(client);
  } catch (e) {
    if (e instanceof DeviceError) {
      io.err(`pindai device: ${port}: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    await client?.link.close();
  }
}

export async function device(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      port: { type: "string", short: "p" },
      "admin-key": { type: "string" },
      json: { type: "boolean" },
      timeout: { type: "string" },
      baud: { type: "string" },
      at: { type: "string" },
      keyset: { type: "string" },
      csv: { type: "string" },
      yes: { type: "boolean" },
      out: { type: "string" },
      "expect-id": { type: "string" },
    },
    true,
  );
  if (values.help) return io.help(deviceHelp);
  const [sub, arg] = positionals;
  const subs = ["id", "status", "time", "keyset", "logs", "screen", "lang", "display", "log-clear", "wipe", "unlock"];
  if (sub === undefined || !subs.includes(sub)) throw new CliError(`${sub ? `unknown subcommand "${sub}"` : "missing subcommand"}: ${subs.join(", ")} (pindai device --help)`);
  const takesArg = sub === "lang" || sub === "display";
  const extra = positionals[takesArg ? 2 : 1];
  if (extra !== undefined) throw new CliError(`unexpected argument "${extra}" (${sub} takes ${takesArg ? "one value" : "no argument"}; pindai device --help)`);
  const port = required(values.port, "port");
  const timeoutMs = values.timeout ? parseInteger(values.timeout, "timeout", 100, 600000) : 5000;
  const baud = values.baud ? parseInteger(values.baud, "baud", 300, 4000000) : undefined;
  const signed = ["time", "logs", "screen", "lang", "display", "log-clear", "wipe", "unlock"].includes(sub);
  const out = sub === "screen" ? required(values.out, "out") : "";
  if (signed && values["admin-key"] === undefined) throw new CliError(`${sub} is signed: give --admin-key FILE`);
  const key = adminKeyOf(values["admin-key"]);
  // Check what can be checked before touching the device.
  let keysetBytes: Uint8Array | undefined;
  if (sub === "keyset") {
    keysetBytes = new Uint8Array(readBounded(required(values.keyset, "keyset"), "key set", MAX_KEYSET_BYTES));
  }
  if (sub === "lang" && !isLang(arg)) throw new CliError("lang takes " + LANGS.join(" or "));
  const displayMs = sub === "display" ? parseInteger(arg ?? "", "display", MIN_DISPLAY_MS, MAX_DISPLAY_MS) : 0;
  if (sub === "wipe" && !values.yes) throw new CliError("wipe erases the key set, the audit log and the settings: add --yes");
  const at = sub === "time" ? (values.at ? parseTime(values.at, "at") : nowSeconds()) : 0;
  const expectId = values["expect-id"];
  if (expectId !== undefined && !/^[0-9a-fA-F]{16}$/.test(expectId)) throw new CliError("--expect-id: a device id is 16 hex digits");
  const print = (text: string, json: unknown) => io.out(values.json ? JSON.stringify(json) : text);

  const what: Record<string, string> = { time: "TIME", logs: "LOG", lang: "CONFIG", display: "CONFIG", "log-clear": "LOGCLEAR", wipe: "WIPE", unlock: "UNLOCK", screen: "SCREEN" };
  return withDevice(port, { key, timeoutMs, baud }, io, async (c) => {
    const id = await c.identify();
    if (expectId !== undefined) await c.expectId(expectId);
    if (signed) io.err(`signing ${what[sub]} for device ${id.id}${expectId === undefined ? " (check it against the device's screen, or give --expect-id)" : ""}`);
    switch (sub) {
      case "id":
        print(`device ${id.id}\npublic key ${id.publicKey}`, id);
        return 0;
      case "status": {
        const s = await c.status();
        print(
          [
            `device ${s.device} (answer signed by the device, checked)`,
            `firmware ${s.version}`,
            `key set ${s.keyset === 0 ? "none" : `version ${s.keyset}`}`,
            `clock ${new Date(s.rtc * 1000).toISOString()} ${s.trusted ? "trusted" : "NOT TRUSTED"} (floor ${new Date(s.floor * 1000).toISOString()})`,
            `warnings ${s.warnings.length === 0 ? "none" : s.warnings.join(", ")}`,
            `audit log ${s.logCount} records (last ${s.logLast})`,
            `language ${s.lang}, verdicts shown ${s.displayMs} ms`,
          ].join("\n"),
          s,
        );
        return 0;
      }
      case "time":
        print(`${id.id}: ${await c.setTime(at)}`, { device: id.id, time: at });
        return 0;
      case "keyset":
        print(`${id.id}: ${await c.installKeyset(keysetBytes!)} (signed by the device, confirmed by its STATUS)`, { device: id.id, keyset: c.lastStatus?.keyset });
        return 0;
      case "logs": {
        const records = await c.logs((got, last) => io.err(`  ${got} records (device's last: ${last})`));
        if (values.csv) {
          writeOutput(values.csv, csvOf(records), "log");
          io.err(`wrote ${records.length} records to ${values.csv}`);
        }
        if (values.json) io.out(JSON.stringify(records));
        else if (!values.csv) for (const r of records) io.out(`${r.seq} ${new Date(r.time * 1000).toISOString()} ${r.verdict} ${r.source} ${r.kid} ${r.nikHash} ${r.warnings}`);
        return 0;
      }
      case "screen": {
        const f = await c.screen();
        writeOutput(out, await renderFramePng(f.ops, f), "screen", 0o600); // it may show a holder's name
        const texts = f.ops.filter((o) => o.font >= 0).map((o) => o.text);
        print(`${id.id}: ${f.width}x${f.height} ${f.colour ? "colour" : "monochrome"} frame written to ${out}: ${texts.join(" | ")}`, { device: id.id, ...f, out });
        return 0;
      }
      case "lang":
        print(`${id.id}: ${await c.configure({ lang: arg })}`, { device: id.id, lang: arg });
        return 0;
      case "display":
        print(`${id.id}: ${await c.configure({ displayMs })}`, { device: id.id, displayMs });
        return 0;
      case "log-clear":
        print(`${id.id}: ${await c.clearLog()}`, { device: id.id, cleared: true });
        return 0;
      case "wipe":
        print(`${id.id}: ${await c.wipe()}`, { device: id.id, wiped: true });
        return 0;
      case "unlock":
        print(`${id.id}: ${await c.unlock()}`, { device: id.id, unlocked: true });
        return 0;
    }
    return 2;
  });
}
