// Fixed-size records in a ring of page files, written append-only: each
// record goes once into erased bytes (0xFF) of its page and is never
// rewritten, so on flash that writes in place (Espruino's Storage, see
// targets/espruino) a record costs its own bytes, and a new page once per
// PAGE_RECORDS records. Survives a power cut at any byte:
// - a record carries a sequence number and a CRC-32 (the caller's format), so
//   a torn record fails its CRC and is dropped, never misread;
// - a slot that is not all 0xFF is never written again: the next record goes
//   after the last written slot of the newest page;
// - a page is remade (header, then erased) before its first record; the
//   records it held were the oldest, and one more page than the capacity
//   needs keeps `capacity` records while it is remade.
import { type Bytes, alloc, slice } from "../core/bytes";
import type { Storage } from "../hal/storage";

/** Records per page file (the default). */
export const PAGE_RECORDS = 16;
/** Every page starts with these 4 bytes: no record at offset 0 (Espruino would remake the file there). */
const PAGE_MAGIC = [0x50, 0x4c, 0x47, 0x31]; // "PLG1"

export interface RecordCodec<T> {
  size: number;
  /** The record's sequence number, or undefined when its bytes are not a valid record (torn, corrupt). */
  seqOf: (this: void, b: Bytes, off: number) => number | undefined;
  decode: (this: void, b: Bytes, off: number) => T;
}

/** Puts v into `list` (ascending), which keeps only the k smallest numbers given. */
function keepSmallest(list: number[], v: number, k: number): void {
  if (list.length < k) list.push(v);
  else if (v >= list[k - 1]) return;
  let i = list.length - 1;
  while (i > 0 && list[i - 1] > v) {
    list[i] = list[i - 1];
    i--;
  }
  list[i] = v;
}

function erased(b: Bytes, off: number, n: number): boolean {
  for (let i = off; i < off + n; i++) if (b[i] !== 0xff) return false;
  return true;
}

export class RecordRing<T> {
  readonly pages: number;
  private page = 0;
  /** Next slot in `page`; perPage when it is full (or not made yet). */
  private slot = 0;
  private maxSeq = 0;

  constructor(
    private readonly storage: Storage,
    private readonly prefix: string,
    readonly capacity: number,
    private readonly codec: RecordCodec<T>,
    readonly perPage: number = PAGE_RECORDS,
  ) {
    this.pages = Math.floor((capacity + perPage - 1) / perPage) + 1;
    this.loadRing();
  }

  private name(p: number): string {
    return this.prefix + p;
  }

  private pageBytes(): number {
    return PAGE_MAGIC.length + this.perPage * this.codec.size;
  }

  /** Find the newest page and its first never-written slot (what a boot does). */
  loadRing(): void {
    this.page = this.pages - 1; // an empty ring starts at page 0
    this.slot = this.perPage;
    this.maxSeq = 0;
    for (let p = 0; p < this.pages; p++) {
      const b = this.storage.read(this.name(p));
      if (b === undefined || b.length !== this.pageBytes()) continue;
      let pageMax = 0;
      let used = 0;
      for (let s = 0; s < this.perPage; s++) {
        const off = PAGE_MAGIC.length + s * this.codec.size;
        const seq = this.codec.seqOf(b, off);
        if (seq !== undefined && seq > pageMax) pageMax = seq;
        if (!erased(b, off, this.codec.size)) used = s + 1;
      }
      if (pageMax > this.maxSeq) {
        this.maxSeq = pageMax;
        this.page = p;
        this.slot = used;
      }
    }
  }

  /** The highest sequence number in flash (0 when empty). */
  lastSeq(): number {
    return this.maxSeq;
  }

  /** Write one record (codec.size bytes, its seq above every other) into the next erased slot. */
  append(record: Bytes, seq: number): void {
    if (this.slot >= this.perPage) {
      // The next page in the ring: remade whole (its records were the oldest), then filled slot by slot.
      this.page = (this.page + 1) % this.pages;
      const fresh = alloc(this.pageBytes());
      for (let i = 0; i < fresh.length; i++) fresh[i] = i < PAGE_MAGIC.length ? PAGE_MAGIC[i] : 0xff;
      this.storage.write(this.name(this.page), fresh, 0);
      this.slot = 0;
    }
    const s = this.slot;
    // Taken before the write: a write cut short leaves this slot used, never written twice.
    this.slot++;
    this.storage.write(this.name(this.page), record, PAGE_MAGIC.length + s * this.codec.size);
    this.maxSeq = seq;
  }

  /** Every valid record's number, page and offset, in flash order (nothing kept). */
  private eachSlot(visit: (seq: number, b: Bytes, off: number) => void): void {
    for (let p = 0; p < this.pages; p++) {
      const b = this.storage.read(this.name(p));
      if (b === undefined || b.length !== this.pageBytes()) continue;
      for (let s = 0; s < this.perPage; s++) {
        const off = PAGE_MAGIC.length + s * this.codec.size;
        const seq = this.codec.seqOf(b, off);
        if (seq !== undefined) visit(seq, b, off);
      }
    }
  }

  /** Valid records in flash, the newest `capacity` and any older ones a page being remade left. */
  private validRecords(): number {
    let n = 0;
    this.eachSlot(() => {
      n++;
    });
    return n;
  }

  /**
   * The numbers at or below which records are past the newest `capacity`
   * (0 when there are no more): the page being remade can leave up to two
   * pages' worth of older ones, found as the smallest numbers without
   * keeping any record.
   */
  private floorSeq(): number {
    const excess = this.validRecords() - this.capacity;
    if (excess <= 0) return 0;
    const low: number[] = [];
    this.eachSlot((seq) => keepSmallest(low, seq, excess));
    return low[low.length - 1];
  }

  /** How many records entries() gives, none decoded: the newest `capacity` of those in flash. */
  ringCount(): number {
    const n = this.validRecords();
    return n < this.capacity ? n : this.capacity;
  }

  /** Each of the newest `capacity` records, decoded one at a time, in flash order. */
  each(visit: (rec: T, seq: number) => void): void {
    const floor = this.floorSeq();
    this.eachSlot((seq, b, off) => {
      if (seq > floor) visit(this.codec.decode(slice(b, off, off + this.codec.size), 0), seq);
    });
  }

  /**
   * Up to `max` of the newest `capacity` records numbered `from` or more,
   * oldest first: only those are decoded (a board with a few thousand
   * variables cannot hold the whole log as objects).
   */
  pageFrom(from: number, max: number): T[] {
    const floor = this.floorSeq();
    const picked: number[] = [];
    this.eachSlot((seq) => {
      if (seq >= from && seq > floor) keepSmallest(picked, seq, max);
    });
    if (picked.length === 0) return [];
    const found: Array<{ seq: number; rec: T }> = [];
    const last = picked[picked.length - 1];
    this.eachSlot((seq, b, off) => {
      if (seq >= from && seq > floor && seq <= last) found.push({ seq, rec: this.codec.decode(slice(b, off, off + this.codec.size), 0) });
    });
    found.sort((a, c) => a.seq - c.seq);
    const out: T[] = [];
    for (let i = 0; i < found.length; i++) out.push(found[i].rec);
    return out;
  }

  /** The newest `capacity` valid records, oldest first. */
  entries(): T[] {
    return this.pageFrom(0, this.capacity);
  }

  /** Remove every page (a new ring). */
  clear(): void {
    for (let p = 0; p < this.pages; p++) this.storage.erase(this.name(p));
    this.loadRing();
  }
}
