// The replay cache in flash (SPEC 2 step 6), so a power cut does not make a
// used code green again. A ring of 1,024 records [seq u32][until u32][id 8]
// [CRC-32] in one file: a code is pushed out only by 1,024 newer accepted
// codes (each one signature-verified, so junk never fills it). A torn record
// fails its CRC and is ignored; the next sequence number comes from the
// newest intact record. Live entries (until >= now) are also held in RAM.
import { type Bytes, alloc, copyInto, fromHex, slice, toHex } from "../core/bytes";
import { ReplayCache, type ReplayMemory } from "../core/replay";
import { sha512 } from "../core/sha512";
import type { Storage } from "../hal/storage";
import { crc32, getU32, putU32 } from "../core/crc32";

export const REPLAY_FILE = "replay.db";
export const REPLAY_CAPACITY = 1024;
const RECORD = 20;

/** 8 bytes standing for a presentation id (a cti is 8 to 16 bytes). */
function shortId(ctiHex: string): Bytes {
  const b = fromHex(ctiHex);
  return slice(sha512(b === undefined ? alloc(0) : b), 0, 8);
}

export class ReplayStore implements ReplayMemory {
  private nextSeq = 1;
  /** The live entries (by the 8-byte id in hex), as the RAM cache keeps them. */
  private cache: ReplayCache;

  constructor(
    private readonly storage: Storage,
    private readonly capacity: number = REPLAY_CAPACITY,
  ) {
    this.cache = new ReplayCache(capacity);
    this.load();
  }

  load(): void {
    this.cache = new ReplayCache(this.capacity);
    const found: Array<{ seq: number; id: string; until: number }> = [];
    const b = this.storage.read(REPLAY_FILE);
    if (b !== undefined) {
      for (let slot = 0; slot < this.capacity; slot++) {
        const off = slot * RECORD;
        if (off + RECORD > b.length) break;
        if (crc32(b, off, off + 16) !== getU32(b, off + 16)) continue;
        found.push({ seq: getU32(b, off), id: toHex(slice(b, off + 8, off + 16)), until: getU32(b, off + 4) });
      }
    }
    found.sort((x, y) => x.seq - y.seq);
    for (let i = 0; i < found.length; i++) this.cache.remember(found[i].id, found[i].until);
    this.nextSeq = found.length > 0 ? found[found.length - 1].seq + 1 : 1;
  }

  seen(ctiHex: string, now: number): boolean {
    return this.cache.seen(toHex(shortId(ctiHex)), now);
  }

  remember(ctiHex: string, until: number): void {
    const id = shortId(ctiHex);
    const r = alloc(RECORD);
    putU32(r, 0, this.nextSeq);
    putU32(r, 4, until);
    copyInto(r, 8, id, 0, 8);
    putU32(r, 16, crc32(r, 0, 16));
    this.storage.write(REPLAY_FILE, r, ((this.nextSeq - 1) % this.capacity) * RECORD);
    this.nextSeq++;
    this.cache.remember(toHex(id), until);
  }

  erase(): void {
    this.storage.erase(REPLAY_FILE);
    this.load();
  }
}
