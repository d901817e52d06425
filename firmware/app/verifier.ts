// The device application: a small state machine on the HAL interfaces.
//
//   idle --scan text--------------------------------> verdict --timer--> idle
//   idle --card in the field--> scanning --card read--> verdict
//
// It never blocks: scanned lines, decoded frames, card results and timers
// all arrive as events. Every verdict is shown, signalled and logged; the
// holder's data leaves the screen after clearAfterMs (privacy).
import type { Bytes } from "../core/bytes";
import { deviceWarnings, verifyPresentation, type Outcome } from "../core/presentation";
import { verifyCard } from "../core/card";
import type { RootKey } from "../core/keyset";
import { ReplayCache } from "../core/replay";
import type { Warning } from "../core/verdict";
import type { CardSessionResult } from "../reader/card-session";
import type { Rtc } from "../hal/clock";
import type { Display, Screen } from "../hal/display";
import type { Indicator } from "../hal/indicator";
import type { Random } from "../hal/random";
import type { Storage } from "../hal/storage";
import type { Timers, TimerHandle } from "../hal/timers";
import { AuditLog, SOURCE_CARD, SOURCE_QR, type NikPolicy } from "./audit-log";
import { trustedTime } from "./clock";
import type { Lang } from "./i18n";
import { KeysetStore, type InstallResult } from "./keyset-store";
import { tablesStep } from "./key-tables";
import { checkingScreen, idleScreen, verdictScreen } from "./screens";

export interface Hardware {
  display: Display;
  indicator: Indicator;
  storage: Storage;
  rtc: Rtc;
  timers: Timers;
  random: Random;
}

export interface AppConfig {
  roots: RootKey[];
  /** Unix seconds at which the firmware was built: an RTC earlier than this is not trusted. */
  buildTime: number;
  version: string;
  lang?: Lang;
  /** How long a verdict (and the holder's data) stays on screen. */
  clearAfterMs?: number;
  auditCapacity?: number;
  /** What the audit log keeps of a NIK: "hmac" (default, keyed by a device secret) or "off" (no identity). */
  auditNik?: NikPolicy;
  replayCapacity?: number;
  /**
   * Keep precomputed Ed25519 tables in flash (app/key-tables.ts): about 3x
   * faster verification for 12 KB of flash per key. Default on; off where a
   * flash file is read into RAM (the Lua target: 16 bytes per byte there).
   */
  tables?: boolean;
}

/** Tables are made this long after boot or an install, one per step. */
const TABLE_STEP_MS = 200;

export type AppState = "idle" | "scanning" | "verdict";

export class VerifierApp {
  state: AppState = "idle";
  lang: Lang;
  readonly keysets: KeysetStore;
  readonly audit: AuditLog;
  /** The last verdict shown, for the simulator and the tests. */
  lastOutcome: Outcome | undefined = undefined;
  lastScreen: Screen | undefined = undefined;
  private readonly replay: ReplayCache;
  private readonly clearAfterMs: number;
  private clearTimer: TimerHandle | undefined = undefined;
  private shownText = "";
  private tablesTimer: TimerHandle | undefined = undefined;

  constructor(
    private readonly hw: Hardware,
    readonly config: AppConfig,
  ) {
    this.lang = config.lang === undefined ? "id" : config.lang;
    this.clearAfterMs = config.clearAfterMs === undefined ? 10000 : config.clearAfterMs;
    // The tables already in flash serve the key set check below (the root's).
    if (config.tables !== false) tablesStep(hw.storage, undefined, config.roots, false);
    this.keysets = new KeysetStore(hw.storage, config.roots);
    this.audit = new AuditLog(hw.storage, hw.random, config.auditCapacity === undefined ? 256 : config.auditCapacity, "audit", {
      nik: config.auditNik,
    });
    this.replay = new ReplayCache(config.replayCapacity === undefined ? 256 : config.replayCapacity);
    this.showIdle();
    this.scheduleTables();
  }

  /** Make and register the Ed25519 tables in the background, one per step. */
  private scheduleTables(): void {
    if (this.config.tables === false || this.tablesTimer !== undefined) return;
    this.tablesTimer = this.hw.timers.setTimeout(() => this.tablesTick(), TABLE_STEP_MS);
  }

  private tablesTick(): void {
    // Armed again before the work: a step cut short (Ctrl-C on Espruino's
    // console, as the flashing tools send) is simply made again.
    this.tablesTimer = this.hw.timers.setTimeout(() => this.tablesTick(), TABLE_STEP_MS);
    let more = false;
    try {
      more = tablesStep(this.hw.storage, this.keysets.current, this.config.roots);
    } catch (e) {
      // Flash full or failing: verification goes on without the missing tables.
    }
    if (!more) {
      this.hw.timers.clearTimeout(this.tablesTimer);
      this.tablesTimer = undefined;
    }
  }

  /** Warnings that stand while idle: no key set, untrusted clock, stale key set. */
  deviceWarnings(): Warning[] {
    return deviceWarnings(this.keysets.current, trustedTime(this.hw.rtc, this.config.buildTime));
  }

  private show(s: Screen): void {
    this.lastScreen = s;
    this.hw.display.show(s);
  }

  showIdle(): void {
    this.state = "idle";
    this.shownText = "";
    this.show(idleScreen(this.lang, this.deviceWarnings()));
    this.hw.indicator.signal("off");
  }

  /** A line from the scan engine, or the text of a QR found in a camera frame. */
  scanText(text: string): void {
    // A camera sees the same code in many frames: one verdict per code on screen.
    if (this.state === "verdict" && text === this.shownText) return;
    const t = trustedTime(this.hw.rtc, this.config.buildTime);
    const o = verifyPresentation(text, this.keysets.current, t, this.replay);
    this.conclude(o, SOURCE_QR, t.now);
    this.shownText = text;
  }

  /** A card entered the reader's field: reading it takes a moment, say so. */
  cardDetected(): void {
    if (this.state !== "idle") return;
    this.state = "scanning";
    this.show(checkingScreen(this.lang));
  }

  /** A finished card read (firmware/reader): no card means nothing to show. */
  cardResult(r: CardSessionResult): void {
    if (!r.ok && r.error === "NO_CARD") {
      if (this.state === "scanning") this.showIdle();
      return;
    }
    const t = trustedTime(this.hw.rtc, this.config.buildTime);
    let o: Outcome;
    if (r.ok) {
      o = verifyCard(r.read, this.keysets.current, t);
    } else {
      o = { verdict: "CARD_ERROR", warnings: this.deviceWarnings() };
    }
    this.conclude(o, SOURCE_CARD, t.now);
  }

  private conclude(o: Outcome, source: number, now: number): void {
    this.lastOutcome = o;
    this.audit.append(now, source, o);
    this.state = "verdict";
    this.show(verdictScreen(this.lang, o, source === SOURCE_CARD));
    // Never green without a key set and a trusted clock: verifyPresentation guarantees it.
    this.hw.indicator.signal(o.verdict === "OK" ? (o.warnings.length > 0 ? "warn" : "ok") : "fail");
    if (this.clearTimer !== undefined) this.hw.timers.clearTimeout(this.clearTimer);
    this.clearTimer = this.hw.timers.setTimeout(() => {
      this.clearTimer = undefined;
      this.showIdle(); // the holder's data leaves the screen
    }, this.clearAfterMs);
  }

  setTime(seconds: number): void {
    this.hw.rtc.set(seconds);
    if (this.state === "idle") this.showIdle();
  }

  setLang(lang: Lang): void {
    this.lang = lang;
    if (this.state === "idle") this.showIdle();
  }

  installKeyset(data: Bytes): InstallResult {
    const r = this.keysets.install(data);
    if (this.state === "idle") this.showIdle();
    if (r.ok && r.outcome === "INSTALLED") this.scheduleTables();
    return r;
  }
}

