// A small record that must change atomically in flash (a floor, the
// configuration): two slots in one file, [seq u32][payload][CRC-32], written
// alternately. A power cut at any byte of a write tears only the slot being
// written, whose CRC then fails: the other slot (the previous value) wins.
import { type Bytes, alloc, copyInto, slice } from "../core/bytes";
import type { Storage } from "../hal/storage";
import { crc32, getU32, putU32 } from "../core/crc32";

export class FlashRecord {
  private seq = 0;
  private slot = 1;
  /** The payload of the newest intact slot; undefined before the first write. */
  value: Bytes | undefined = undefined;

  constructor(
    private readonly storage: Storage,
    private readonly file: string,
    private readonly size: number,
  ) {
    this.readRecord();
  }

  private slotBytes(): number {
    return 8 + this.size;
  }

  readRecord(): void {
    this.seq = 0;
    this.slot = 1;
    this.value = undefined;
    const b = this.storage.read(this.file);
    if (b === undefined) return;
    const n = this.slotBytes();
    for (let i = 0; i < 2; i++) {
      const off = i * n;
      if (off + n > b.length) continue;
      if (crc32(b, off, off + n - 4) !== getU32(b, off + n - 4)) continue;
      const seq = getU32(b, off);
      if (seq > this.seq) {
        this.seq = seq;
        this.slot = i;
        this.value = slice(b, off + 4, off + 4 + this.size);
      }
    }
    // Slot 1 is written only once slot 0 holds a value, and a write goes to the older slot: a
    // power cut leaves one slot intact. Both whole and neither intact is a failing flash,
    // reported to a storage that watches for it (app/watched-storage.ts).
    const watched = this.storage as { fail?: (what: string) => void };
    if (this.value === undefined && b.length >= 2 * n && watched.fail !== undefined) watched.fail("check " + this.file);
  }

  write(payload: Bytes): void {
    const n = this.slotBytes();
    const r = alloc(n);
    putU32(r, 0, this.seq + 1);
    copyInto(r, 4, payload, 0, this.size);
    putU32(r, n - 4, crc32(r, 0, n - 4));
    const target = this.slot === 0 ? 1 : 0;
    this.storage.write(this.file, r, target * n);
    this.readRecord();
  }

  erase(): void {
    this.storage.erase(this.file);
    this.readRecord();
  }
}

/** A u32 kept in a FlashRecord (a time or version floor); 0 when never written. */
export class FlashNumber {
  private readonly rec: FlashRecord;

  constructor(storage: Storage, file: string) {
    this.rec = new FlashRecord(storage, file, 4);
  }

  get(): number {
    return this.rec.value === undefined ? 0 : getU32(this.rec.value, 0);
  }

  set(v: number): void {
    const b = alloc(4);
    putU32(b, 0, v);
    this.rec.write(b);
  }

  /** Raise to v; never lowers. */
  raise(v: number): void {
    if (v > this.get()) this.set(v);
  }
}
