// The installed key set, kept in two flash slots so that installing a new one
// is atomic (SPEC section 4): the new set is written into the slot that does
// NOT hold the current one, as [length][CRC-32][signed bytes]. A power cut at
// any byte leaves that slot failing its length or CRC check, and the other
// slot untouched; on boot the valid slot with the highest version wins. The
// device therefore holds the old set or the new one, never a mix, never none.
// Rollback: a version floor kept apart from the slots (and a minimum compiled
// into the image) rises with each install; a slot below it is never loaded,
// and the superseded slot is wiped once the new one is committed. The hash of
// the newest set installed is kept too ([version u32][SHA-256 first 8 bytes]),
// so that after a WIPE another set with that version and other bytes (an
// older revocation list under a reused number) is refused.
import { type Bytes, alloc, concat, equal, slice } from "../core/bytes";
import { type Keyset, type RootKey, installDecision, loadKeyset } from "../core/keyset";
import { MAX_KEYSET_BYTES } from "../core/keyset";
import type { Storage } from "../hal/storage";
import { crc32, getU32, putU32 } from "../core/crc32";
import { kidOf } from "../core/sha256";
import { FlashNumber, FlashRecord } from "./flash-record";

const SLOTS = ["keyset.0", "keyset.1"];

export type InstallResult =
  | { ok: true; outcome: "INSTALLED" | "SAME"; version: number }
  | { ok: false; reason: string };

/** [version][first 8 bytes of SHA-256 of the signed bytes] of a set. */
function stamp(version: number, raw: Bytes): Bytes {
  const b = alloc(12);
  putU32(b, 0, version);
  const h = kidOf(raw); // raw may be a target's compact bytes: indexed reads only
  for (let i = 0; i < 8; i++) b[4 + i] = h[i];
  return b;
}

export class KeysetStore {
  current: Keyset | undefined = undefined;
  private slot = -1;
  private readonly floor: FlashNumber;
  private readonly installed: FlashRecord;

  constructor(
    private readonly storage: Storage,
    private readonly roots: RootKey[],
    private readonly minVersion = 0,
  ) {
    this.floor = new FlashNumber(storage, "keyset.floor");
    this.installed = new FlashRecord(storage, "keyset.hash", 12);
    this.loadSlots();
  }

  /** The lowest version this device will load or install. */
  versionFloor(): number {
    const f = this.floor.get();
    return f > this.minVersion ? f : this.minVersion;
  }

  /** Forget the installed key set (WIPE); the version floor and the installed set's hash stay. */
  wipe(): void {
    if (this.current !== undefined) this.remember(this.current.version, this.current.raw);
    for (let i = 0; i < SLOTS.length; i++) this.storage.erase(SLOTS[i]);
    this.loadSlots();
  }

  /** Boot: the valid slot with the highest version. */
  loadSlots(): void {
    this.current = undefined;
    this.slot = -1;
    for (let i = 0; i < SLOTS.length; i++) {
      const ks = this.readSlot(i);
      if (ks !== undefined && ks.version >= this.versionFloor() && (this.current === undefined || ks.version > this.current.version)) {
        this.current = ks;
        this.slot = i;
      }
    }
  }

  private readSlot(i: number): Keyset | undefined {
    const b = this.storage.read(SLOTS[i]);
    if (b === undefined || b.length < 8) return undefined;
    const len = getU32(b, 0);
    if (len > MAX_KEYSET_BYTES || 8 + len > b.length) return undefined;
    const data = slice(b, 8, 8 + len);
    if (crc32(data, 0, data.length) !== getU32(b, 4)) return undefined;
    const r = loadKeyset(data, this.roots); // the signature is checked again at every boot
    return r.ok ? r.keyset : undefined;
  }

  private remember(version: number, raw: Bytes): void {
    const v = this.installed.value;
    const s = stamp(version, raw);
    if (v === undefined || getU32(v, 0) < version) this.installed.write(s);
  }

  /** The version installed here last, with other bytes than these. */
  private otherBytes(version: number, data: Bytes): boolean {
    const v = this.installed.value;
    if (v === undefined || getU32(v, 0) !== version) return false;
    const s = stamp(version, data);
    for (let i = 4; i < 12; i++) if (v[i] !== s[i]) return true;
    return false;
  }

  /**
   * Install a signed set. `trustedNow` is the device's time when its clock is
   * trusted (-1 when not): a set issued after it plus the set's skew is refused.
   */
  install(data: Bytes, trustedNow = -1): InstallResult {
    const r = loadKeyset(data, this.roots);
    if (!r.ok) return { ok: false, reason: r.verdict + ": " + r.reason };
    const decision = installDecision(this.current, r.keyset);
    if (decision === "SAME") return { ok: true, outcome: "SAME", version: r.keyset.version };
    if (decision === "OLDER") return { ok: false, reason: "OLDER: version " + r.keyset.version + " is not newer than the installed one" };
    if (r.keyset.version < this.versionFloor()) {
      return { ok: false, reason: "OLDER: version " + r.keyset.version + " is below this device's floor " + this.versionFloor() };
    }
    if (this.otherBytes(r.keyset.version, data)) {
      return { ok: false, reason: "OLDER: version " + r.keyset.version + " was installed on this device with other bytes" };
    }
    if (trustedNow >= 0 && r.keyset.issued > trustedNow + r.keyset.policy.skew) {
      return { ok: false, reason: "ISSUED_IN_FUTURE: the key set is issued at " + r.keyset.issued + ", after this device's trusted time " + trustedNow + " plus the skew" };
    }
    const target = this.slot === 0 ? 1 : 0;
    const head = alloc(8);
    putU32(head, 0, data.length);
    putU32(head, 4, crc32(data, 0, data.length));
    this.storage.erase(SLOTS[target]);
    const written = concat([head, data]);
    this.storage.write(SLOTS[target], written, 0);
    // Read back, not verified again: these are the bytes just verified, and a boot checks them
    // anew (on Espruino a second verification, and a third of the other slot, made KEYSET's peak).
    const back = this.storage.read(SLOTS[target]);
    if (back === undefined || !equal(back, written)) {
      this.loadSlots(); // what flash holds now: the old set, in its own slot
      return { ok: false, reason: "WRITE_FAILED: flash did not keep the new key set" };
    }
    this.current = r.keyset;
    this.slot = target;
    // Committed: raise the floor, then wipe the superseded slot (a power cut
    // between the two leaves a slot the floor already excludes).
    this.floor.raise(r.keyset.version);
    this.remember(r.keyset.version, data);
    this.storage.erase(SLOTS[target === 0 ? 1 : 0]);
    return { ok: true, outcome: "INSTALLED", version: r.keyset.version };
  }
}
