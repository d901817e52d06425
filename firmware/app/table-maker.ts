// The background work behind the Ed25519 tables (app/key-tables.ts): after
// boot and after each key set install, one step per timer tick, each making
// at most one table (about two verifications' work), so scans are served in
// between. What it has read and checked from flash is `tables`, which the
// app hands to verification with the key set.
import type { Bytes } from "../core/bytes";
import type { TableSet } from "../core/ed25519-table";
import type { Storage } from "../hal/storage";
import type { Timers, TimerHandle } from "../hal/timers";
import type { KeysetStore } from "./keyset-store";
import { tablesStep } from "./key-tables";

/** Tables are made this long after boot or an install, one per step. */
const TABLE_STEP_MS = 200;

export class TableMaker {
  /** The tables verification may use: only files whose MAC checked, for keys of the current key set. */
  readonly tables: TableSet = { base: undefined, keys: [] };
  private timer: TimerHandle | undefined = undefined;

  private secret: Bytes | undefined = undefined;

  /**
   * `secret` gives the MAC key of the table files (DeviceIdentity.secret("tables")),
   * asked at the first step: a device that makes no tables never hashes for it.
   */
  constructor(
    private readonly storage: Storage,
    private readonly timers: Timers,
    private readonly keysets: KeysetStore,
    private readonly secretOf: () => Bytes,
  ) {}

  /** Read, and make what is missing, in the background (again after an install: a running round just goes on). */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = this.timers.setTimeout(() => this.tick(), TABLE_STEP_MS);
  }

  /** True while tables are still to be read or made (a step is armed). */
  busy(): boolean {
    return this.timer !== undefined;
  }

  private tick(): void {
    // Armed again before the work: a step cut short (Ctrl-C on Espruino's
    // console, as the flashing tools send) is simply made again.
    this.timer = this.timers.setTimeout(() => this.tick(), TABLE_STEP_MS);
    let more = false;
    if (this.secret === undefined) this.secret = this.secretOf();
    try {
      more = tablesStep(this.storage, this.keysets.current, this.secret, this.tables);
    } catch (e) {
      // Flash full or failing: verification goes on without the missing tables.
    }
    if (!more) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
