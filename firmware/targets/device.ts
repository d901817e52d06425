// What every device image does at boot, whatever the runtime: build the app
// on the target's HALs, wire the scan engine and the card reader, and offer
// the service line. Targets only supply the HALs (firmware/targets/<runtime>).
import type { RootKey } from "../core/keyset";
import { fromHex } from "../core/bytes";
import { VerifierApp, type Hardware } from "../app/verifier";
import { adminCommand } from "../app/admin";
import { CardPoller } from "../app/card-poller";
import { scanInput } from "../app/scan-input";
import type { Lang } from "../app/i18n";
import type { NikPolicy } from "../app/audit-log";
import type { Serial } from "../hal/serial";
import { Pn532 } from "../reader/pn532";

/** Compiled into each image by `npm run build` from a build config. */
export interface BuildConfig {
  version: string;
  buildTime: number;
  /** Root public keys, as { kid, publicKey } in hex. */
  roots: Array<{ kid: string; publicKey: string }>;
  lang: Lang;
  clearAfterMs: number;
  cardPollMs: number;
  /** How long a card may take to answer INTERNAL AUTHENTICATE (reader/card-session.ts); absent = 500 ms. */
  cardAuthMs?: number;
  /** The audit log's NIK policy (app/audit-log.ts); absent = "hmac". */
  auditNik?: NikPolicy;
}

export interface Device {
  app: VerifierApp;
  /** One service-line command, its reply lines (a property, so Lua calls it as device.admin(line)). */
  admin: (line: string) => string[];
}

export function parseRoots(cfg: BuildConfig): RootKey[] {
  const out: RootKey[] = [];
  for (let i = 0; i < cfg.roots.length; i++) {
    const kid = fromHex(cfg.roots[i].kid);
    const publicKey = fromHex(cfg.roots[i].publicKey);
    if (kid !== undefined && publicKey !== undefined && kid.length === 8 && publicKey.length === 32) out.push({ kid, publicKey });
  }
  return out;
}

export function startDevice(
  cfg: BuildConfig,
  hw: Hardware,
  scanEngine: Serial | undefined,
  reader: Serial | undefined,
  tables = true,
): Device {
  const app = new VerifierApp(hw, {
    tables,
    roots: parseRoots(cfg),
    buildTime: cfg.buildTime,
    version: cfg.version,
    lang: cfg.lang,
    clearAfterMs: cfg.clearAfterMs,
    auditNik: cfg.auditNik,
  });
  if (scanEngine !== undefined) scanInput(scanEngine, hw.timers, hw.rtc, app);
  if (reader !== undefined) {
    const pn = new Pn532(reader, hw.timers);
    const poller = new CardPoller(pn, hw.random, hw.timers, () => app.state === "idle", (r) => app.cardResult(r), cfg.cardPollMs, () => app.cardDetected(), cfg.cardAuthMs);
    poller.start();
  }
  return { app, admin: (line) => adminCommand(app, line) };
}
