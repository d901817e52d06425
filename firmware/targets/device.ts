// What every device image does at boot, whatever the runtime: build the app
// on the target's HALs, wire the scan engine and the card reader, and offer
// the service line. Targets only supply the HALs (firmware/targets/<runtime>).
import type { RootKey } from "../core/keyset";
import { fromHex } from "../core/bytes";
import { VerifierApp, type Hardware } from "../app/verifier";
import { AdminService, type AdminHooks } from "../app/admin";
import { serveAdminLine } from "../app/admin-line";
import { CardPoller } from "../app/card-poller";
import { scanInput } from "../app/scan-input";
import type { Lang } from "../app/i18n";
import type { NikPolicy } from "../app/audit-log";
import type { Serial } from "../hal/serial";
import { Pn532 } from "../reader/pn532/pn532";

/** Compiled into each image by `npm run build` from a build config. */
export interface BuildConfig {
  version: string;
  buildTime: number;
  /** Root public keys, as { kid, publicKey } in hex. */
  roots: Array<{ kid: string; publicKey: string }>;
  lang: Lang;
  clearAfterMs: number;
  cardPollMs: number;
  /** Key sets below this version are never loaded or installed. */
  minKeysetVersion?: number;
  /** How long a card may take to answer INTERNAL AUTHENTICATE (reader/card-session.ts); absent = 500 ms. */
  cardAuthMs?: number;
  /** The audit log's NIK policy (app/audit-log.ts); absent = "hmac". */
  auditNik?: NikPolicy;
}

/** The serial lines a target has, and what it adds to the admin protocol. */
export interface DeviceLines {
  scanEngine?: Serial;
  reader?: Serial;
  /** The admin line (docs/SPEC.md section 6); the only way in for an agency. */
  admin?: Serial;
  hooks?: AdminHooks;
}

export interface Device {
  app: VerifierApp;
  /** One admin-line command, its reply line (a property, so Lua calls it as device.admin(line)). */
  admin: (line: string) => string;
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

export function startDevice(cfg: BuildConfig, hw: Hardware, lines: DeviceLines, tables = true): Device {
  const app = new VerifierApp(hw, {
    tables,
    roots: parseRoots(cfg),
    buildTime: cfg.buildTime,
    version: cfg.version,
    lang: cfg.lang,
    clearAfterMs: cfg.clearAfterMs,
    minKeysetVersion: cfg.minKeysetVersion,
    auditNik: cfg.auditNik,
  });
  if (lines.scanEngine !== undefined) scanInput(lines.scanEngine, hw.timers, app);
  if (lines.reader !== undefined) {
    const pn = new Pn532(lines.reader, hw.timers);
    const poller = new CardPoller(pn, hw.random, hw.timers, () => app.state === "idle", (r) => app.cardResult(r), cfg.cardPollMs, () => app.cardDetected(), cfg.cardAuthMs);
    poller.start();
  }
  const service = new AdminService(app, lines.hooks === undefined ? {} : lines.hooks);
  if (lines.admin !== undefined) serveAdminLine(lines.admin, (line) => service.handle(line));
  return { app, admin: (line) => service.handle(line) };
}
