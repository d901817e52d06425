// The device application: a small state machine on the HAL interfaces.
//
//   idle --scan text--------------------------------> verdict --timer--> idle
//   idle --card in the field--> scanning --card read--> verdict
//
// It never blocks: scanned lines, decoded frames, card results and timers
// all arrive as events. Every verdict is shown, signalled and logged; the
// holder's data leaves the screen after clearAfterMs (privacy).
import { type Bytes, alloc, toHex } from "../core/bytes";
import { verifyPresentation } from "../core/presentation";
import { deviceWarnings, type Outcome } from "../core/outcome";
import { DEFAULT_CLEAR_AFTER_MS } from "../core/policy";
import { verifyCard } from "../core/card";
import type { RootKey } from "../core/keyset";
import type { TrustedTime } from "../core/trust";
import type { Warning } from "../core/verdict";
import type { CardSessionResult } from "../reader/card-session";
import type { Rtc } from "../hal/clock";
import type { Display, Screen } from "../hal/display";
import type { Indicator } from "../hal/indicator";
import type { Random } from "../hal/random";
import type { Storage } from "../hal/storage";
import type { Timers, TimerHandle } from "../hal/timers";
import { AuditLog, SOURCE_CARD, SOURCE_LOG_CLEARED, SOURCE_QR, SOURCE_TAMPER, SOURCE_TIME, SOURCE_UNLOCKED, SOURCE_WIPED, type NikPolicy } from "./audit-log";
import { ClockFloor } from "./clock";
import { FlashRecord } from "./flash-record";
import { getU32, putU32 } from "../core/crc32";
import { DEFAULT_LANG, type Lang, langCode, langOfCode } from "./i18n";
import { DeviceIdentity } from "./identity";
import { KeysetStore, type InstallResult } from "./keyset-store";
import { TableMaker } from "./table-maker";
import { ReplayStore } from "./replay-store";
import { type DeviceInfo, checkingScreen, formatClock, idleScreen, storageFaultScreen, verdictScreen } from "./screens";
import { WatchedStorage } from "./watched-storage";
import { type Op, type PanelDisplay, cellMetrics, layout } from "./layout";
import type { PanelMetrics } from "../hal/display";

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
  /** A key set below this version is never loaded or installed (compiled in). */
  minKeysetVersion?: number;
  /** The idle screen's clock: minutes east of UTC and the zone's name (default 420, WIB). */
  tzOffsetMin?: number;
  tzName?: string;
  /**
   * Keep precomputed Ed25519 tables in flash (app/key-tables.ts): about 3x
   * faster verification for 12 KB of flash per key. Default on; off where a
   * flash file is read into RAM (the Lua target: 16 bytes per byte there).
   */
  tables?: boolean;
}

export type AppState = "idle" | "scanning" | "verdict";

/** This many forged codes in a row is tampering, not a damaged code: TAMPER on the screen and in the log. */
export const FORGERY_STREAK = 3;

export class VerifierApp {
  state: AppState = "idle";
  lang: Lang = DEFAULT_LANG;
  readonly keysets: KeysetStore;
  readonly audit: AuditLog;
  /** The last verdict shown, for the simulator and the tests. */
  lastOutcome: Outcome | undefined = undefined;
  lastScreen: Screen | undefined = undefined;
  readonly identity: DeviceIdentity;
  readonly random: Random;
  readonly timers: Timers;
  /** The Ed25519 tables in flash, made in the background; handed to verification with the key set. */
  readonly tables: TableMaker;
  private readonly replay: ReplayStore;
  private readonly clock: ClockFloor;
  private readonly settings: FlashRecord;
  /** The HAL's storage, watched: a store that cannot be read or written is a fault (app/watched-storage.ts). */
  private readonly storage: WatchedStorage;
  private clearAfterMs = DEFAULT_CLEAR_AFTER_MS;
  private clearTimer: TimerHandle | undefined = undefined;
  private tickTimer: TimerHandle | undefined = undefined;
  private shownText = "";
  /** The verdict on screen, redrawn each second with the time it has left. */
  private shown: { o: Outcome; card: boolean; seq: number; left: number } | undefined = undefined;
  /** BAD_SIGNATURE verdicts under a known kid in a row. */
  private forgeries = 0;

  constructor(
    private readonly hw: Hardware,
    readonly config: AppConfig,
  ) {
    this.random = hw.random;
    this.timers = hw.timers;
    this.defaultSettings();
    const storage = hw.storage instanceof WatchedStorage ? hw.storage : new WatchedStorage(hw.storage);
    this.storage = storage;
    this.identity = new DeviceIdentity(storage, hw.random);
    this.settings = new FlashRecord(storage, "config", 5);
    this.applySettings();
    this.keysets = new KeysetStore(storage, config.roots, config.minKeysetVersion === undefined ? 0 : config.minKeysetVersion);
    this.audit = new AuditLog(storage, hw.random, config.auditCapacity === undefined ? 256 : config.auditCapacity, "audit", {
      nik: config.auditNik,
    });
    this.replay = new ReplayStore(storage, config.replayCapacity);
    this.clock = new ClockFloor(storage, hw.rtc, config.buildTime, this.audit.lastTrustedTime());
    this.tables = new TableMaker(storage, hw.timers, this.keysets, () => this.identity.secret("tables"));
    this.showIdle();
    this.makeTables();
  }

  private makeTables(): void {
    if (this.config.tables !== false) this.tables.start();
  }

  /** Warnings that stand while idle: no key set, untrusted clock, stale key set. */
  deviceWarnings(): Warning[] {
    return deviceWarnings(this.keysets.current, this.time());
  }

  /** The RTC, trusted only when set since power loss and not below the floor. */
  time(): TrustedTime {
    return this.clock.time();
  }

  /** What of the flash failed ("write replay.0"), or undefined: a failed flash verifies nothing until the next boot. */
  storageFault(): string | undefined {
    return this.storage.failure;
  }

  /** The amber NOT READY screen of a failed flash, and the red light: never OK. */
  private showStorageFault(now: number | undefined): void {
    const clock = now === undefined ? undefined : formatClock(now, this.tzOffset(), this.config.tzName === undefined ? "WIB" : this.config.tzName);
    this.show(storageFaultScreen(this.lang, clock, now === undefined ? undefined : this.deviceInfo(now)));
    this.hw.indicator.signal("fail");
  }

  private tzOffset(): number {
    return this.config.tzOffsetMin === undefined ? 420 : this.config.tzOffsetMin;
  }

  /** The time floor (app/clock.ts): the RTC below it is never trusted. */
  floor(): number {
    return this.clock.floor();
  }

  /** The floor that not even a root can go below: the build time. */
  hardFloor(): number {
    return this.clock.hardFloor();
  }

  private show(s: Screen): void {
    this.lastScreen = s;
    this.hw.display.show(s);
  }

  /**
   * The frame on the panel now (the admin line's SCREEN): the last screen laid
   * out again on the driver's own canvas where it draws layouts (layout is a
   * function of the two), else on a nominal 128x64.
   */
  frame(): { panel: PanelMetrics; ops: Op[] } {
    const c = (this.hw.display as PanelDisplay).canvas;
    const panel = c !== undefined ? c : cellMetrics(128, 64, false, 6, 8, 2);
    return { panel, ops: this.lastScreen === undefined ? [] : layout(this.lastScreen, panel) };
  }

  private deviceInfo(now: number): DeviceInfo {
    const ks = this.keysets.current;
    return {
      keysetVersion: ks === undefined ? 0 : ks.version,
      keysetAgeDays: ks === undefined || now < ks.issued ? 0 : Math.floor((now - ks.issued) / 86400),
      id: toHex(this.identity.id),
    };
  }

  private stopTimers(): void {
    if (this.clearTimer !== undefined) this.hw.timers.clearTimeout(this.clearTimer);
    if (this.tickTimer !== undefined) this.hw.timers.clearTimeout(this.tickTimer);
    this.clearTimer = undefined;
    this.tickTimer = undefined;
  }

  showIdle(): void {
    this.stopTimers();
    this.state = "idle";
    this.shownText = "";
    this.shown = undefined;
    const t = this.time();
    if (this.storage.failure !== undefined) return this.showStorageFault(t.now);
    this.show(idleScreen(this.lang, deviceWarnings(this.keysets.current, t), t.now, this.tzOffset(), this.config.tzName === undefined ? "WIB" : this.config.tzName, this.deviceInfo(t.now)));
    this.hw.indicator.signal("off");
  }

  /** The verdict on screen again, with its seconds left (the bar counts down). */
  private showVerdict(): void {
    const v = this.shown;
    if (v === undefined) return;
    this.show(verdictScreen(this.lang, v.o, v.card, v.seq, v.left, Math.ceil(this.clearAfterMs / 1000)));
  }

  private tick(): void {
    this.tickTimer = undefined;
    const v = this.shown;
    if (v === undefined || this.state !== "verdict" || v.left <= 1) return;
    v.left--;
    this.showVerdict();
    this.tickTimer = this.hw.timers.setTimeout(() => this.tick(), 1000);
  }

  /** A line from the scan engine, or the text of a QR found in a camera frame. */
  scanText(text: string): void {
    // A camera sees the same code in many frames: one verdict per code on screen.
    if (this.state === "verdict" && text === this.shownText) return;
    if (this.faulted()) return;
    const t = this.time();
    const o = verifyPresentation(text, this.keysets.current, t, this.replay, this.tables.tables);
    // Only an OK verdict moves the floor, through its audit record at the
    // trusted time (clock.logged): a signed code's iat is never taken as a
    // time (a fast issuer clock or a leaked QR key would stop every device).
    this.conclude(o, SOURCE_QR, t.now);
    this.shownText = text;
    // Forgeries under a valid kid in a row: someone is on the scan line (issue 21). Shown and logged once per streak.
    this.forgeries = o.verdict === "BAD_SIGNATURE" && o.kid !== undefined ? this.forgeries + 1 : 0;
    if (this.forgeries === FORGERY_STREAK) this.tamper("forged codes on the scan line", this.forgeries);
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
    if (this.faulted()) return;
    const t = this.time();
    let o: Outcome;
    if (r.ok) {
      o = verifyCard(r.read, this.keysets.current, t, this.tables.tables);
    } else {
      o = { verdict: "CARD_ERROR", warnings: this.deviceWarnings() };
    }
    this.conclude(o, SOURCE_CARD, t.now);
  }

  /** A failed flash: the fault screen instead of a verdict (a code or card is not even checked). */
  private faulted(): boolean {
    if (this.storage.failure === undefined) return false;
    this.showIdle();
    return true;
  }

  private conclude(o: Outcome, source: number, now: number): void {
    const e = this.audit.append(now, source, o);
    this.clock.logged(e.time, e.warnings);
    // The replay store or the log could not keep this verdict: no OK that a replay could repeat.
    if (this.faulted()) return;
    this.lastOutcome = o;
    this.state = "verdict";
    this.stopTimers();
    this.shown = { o, card: source === SOURCE_CARD, seq: e.seq, left: Math.ceil(this.clearAfterMs / 1000) };
    this.showVerdict();
    // Never green without a key set and a trusted clock: verifyPresentation guarantees it.
    this.hw.indicator.signal(o.verdict === "OK" ? (o.warnings.length > 0 ? "warn" : "ok") : "fail");
    this.tickTimer = this.hw.timers.setTimeout(() => this.tick(), 1000);
    this.clearTimer = this.hw.timers.setTimeout(() => {
      this.clearTimer = undefined;
      this.showIdle(); // the holder's data leaves the screen
    }, this.clearAfterMs);
  }

  /** A signed time (app/admin.ts checked it): set the RTC, move the floor, log who did it. */
  setTime(seconds: number, signer: Bytes, byRoot: boolean): void {
    const before = this.hw.rtc.seconds();
    this.hw.rtc.set(seconds);
    this.clock.signedTime(seconds, byRoot);
    const e = this.audit.appendEvent(seconds, SOURCE_TIME, toHex(signer), before, []);
    this.clock.logged(e.time, e.warnings);
    if (this.state === "idle") this.showIdle();
  }

  displayMs(): number {
    return this.clearAfterMs;
  }

  /** Language and display time, kept in flash as [lang][ms u32]. */
  configure(lang: Lang, displayMs: number): void {
    const b = alloc(5);
    b[0] = langCode(lang);
    putU32(b, 1, displayMs);
    this.settings.write(b);
    this.applySettings();
    if (this.state === "idle") this.showIdle();
  }

  /** The build's language and display time (before any CONFIG, and after WIPE). */
  private defaultSettings(): void {
    this.lang = this.config.lang === undefined ? DEFAULT_LANG : this.config.lang;
    this.clearAfterMs = this.config.clearAfterMs === undefined ? DEFAULT_CLEAR_AFTER_MS : this.config.clearAfterMs;
  }

  private applySettings(): void {
    const v = this.settings.value;
    if (v === undefined) return;
    this.lang = langOfCode(v[0]);
    this.clearAfterMs = getU32(v, 1);
  }

  private logEvent(source: number, signer: Bytes, detail: number): void {
    const t = this.time();
    const e = this.audit.appendEvent(t.now, source, toHex(signer), detail, t.trusted ? [] : ["CLOCK_NOT_TRUSTED"]);
    this.clock.logged(e.time, e.warnings);
  }

  /** A signed UNLOCK: the record of who opened the console (until reboot). */
  unlocked(signer: Bytes): void {
    this.logEvent(SOURCE_UNLOCKED, signer, 0);
  }

  /** Someone tampered (foreign flash files removed at boot, forged codes on the scan line): logged, and shown until the next verdict or the display time. */
  tamper(what: string, count: number): void {
    this.logEvent(SOURCE_TAMPER, alloc(8), count);
    this.state = "verdict";
    this.show({ color: "red", title: "TAMPER", lines: [what], warnings: [] });
    this.hw.indicator.signal("fail");
    if (this.clearTimer !== undefined) this.hw.timers.clearTimeout(this.clearTimer);
    this.clearTimer = this.hw.timers.setTimeout(() => {
      this.clearTimer = undefined;
      this.showIdle();
    }, this.clearAfterMs);
  }

  /** Erase the audit log, leaving one record of who cleared it. */
  clearLog(signer: Bytes): number {
    const n = this.audit.clear();
    this.logEvent(SOURCE_LOG_CLEARED, signer, n);
    return n;
  }

  /**
   * Back to unprovisioned: no key set, log, replay memory or settings, and a
   * new audit key (the log after a reassignment cannot be linked to the one
   * before). The device key and the floors stay.
   */
  wipe(signer: Bytes): void {
    this.keysets.wipe();
    this.audit.clear();
    this.audit.renewKey();
    this.replay.erase();
    this.settings.erase();
    this.defaultSettings();
    this.logEvent(SOURCE_WIPED, signer, 0);
    if (this.state === "idle") this.showIdle();
  }

  /**
   * KEYSET: on a trusted clock a set issued after now plus its skew is
   * refused, and its issue time (no later than now) becomes evidence for the
   * floor; on an untrusted clock its date cannot be judged and moves nothing.
   */
  installKeyset(data: Bytes): InstallResult {
    const t = this.time();
    const r = this.keysets.install(data, t.trusted ? t.now : -1);
    if (r.ok && r.outcome === "INSTALLED" && this.keysets.current !== undefined) this.clock.raise(this.keysets.current.issued);
    if (this.state === "idle") this.showIdle();
    if (r.ok && r.outcome === "INSTALLED") this.makeTables();
    return r;
  }
}

