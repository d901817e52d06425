// The replay cache in flash (SPEC 2 step 6), so a power cut does not make a
// used code green again. An append-only log of records [seq u32][until u32]
// [id 8][CRC-32] in a ring of page files (app/record-ring.ts): an accepted
// code writes its 20 bytes into erased bytes of the newest page and nothing
// else, and once per 64 codes the oldest page is made anew (a 4-byte header,
// the rest erased): no file is ever rewritten around a record, so a power cut
// tears at most the record being written (its CRC then fails and it is
// ignored). A code is pushed out only by `capacity` newer accepted codes (each
// one signature-verified, so junk never fills it). Live entries (until >= now)
// are also held in RAM.
import { type Bytes, alloc, copyInto, fromHex, slice, toHex } from "../core/bytes";
import { ReplayCache, type ReplayMemory } from "../core/replay";
import { sha512 } from "../core/sha512";
import type { Storage } from "../hal/storage";
import { crc32, getU32, putU32 } from "../core/crc32";
import { RecordRing } from "./record-ring";

/** The page files: "replay.0", "replay.1", ... */
export const REPLAY_PREFIX = "replay.";
/** The whole-file store of earlier firmware (rewritten per code): removed at boot. */
export const OLD_REPLAY_FILE = "replay.db";
export const REPLAY_CAPACITY = 1024;
export const REPLAY_RECORD = 20;
const PAGE = 64;

/** 8 bytes standing for a presentation id (a cti is 8 to 16 bytes). */
function shortId(ctiHex: string): Bytes {
  const b = fromHex(ctiHex);
  return slice(sha512(b === undefined ? alloc(0) : b), 0, 8);
}

interface Entry {
  id: string;
  until: number;
}

function seqOf(b: Bytes, off: number): number | undefined {
  if (off + REPLAY_RECORD > b.length || crc32(b, off, off + 16) !== getU32(b, off + 16)) return undefined;
  return getU32(b, off);
}

function decode(b: Bytes, off: number): Entry {
  return { id: toHex(slice(b, off + 8, off + 16)), until: getU32(b, off + 4) };
}

export class ReplayStore implements ReplayMemory {
  private readonly ring: RecordRing<Entry>;
  /** The live entries (by the 8-byte id in hex), as the RAM cache keeps them. */
  private cache: ReplayCache;

  constructor(
    private readonly storage: Storage,
    private readonly capacity: number = REPLAY_CAPACITY,
  ) {
    this.cache = new ReplayCache(capacity);
    this.ring = new RecordRing(storage, REPLAY_PREFIX, capacity, { size: REPLAY_RECORD, seqOf, decode }, PAGE);
    this.loadReplays();
  }

  loadReplays(): void {
    if (this.storage.read(OLD_REPLAY_FILE) !== undefined) this.storage.erase(OLD_REPLAY_FILE);
    this.ring.loadRing();
    this.cache = new ReplayCache(this.capacity);
    const found = this.ring.entries();
    for (let i = 0; i < found.length; i++) this.cache.remember(found[i].id, found[i].until);
  }

  seen(ctiHex: string, now: number): boolean {
    return this.cache.seen(toHex(shortId(ctiHex)), now);
  }

  remember(ctiHex: string, until: number): void {
    const id = shortId(ctiHex);
    const seq = this.ring.lastSeq() + 1;
    const r = alloc(REPLAY_RECORD);
    putU32(r, 0, seq);
    putU32(r, 4, until);
    copyInto(r, 8, id, 0, 8);
    putU32(r, 16, crc32(r, 0, 16));
    this.ring.append(r, seq);
    this.cache.remember(toHex(id), until);
  }

  erase(): void {
    this.ring.clear();
    this.loadReplays();
  }
}
