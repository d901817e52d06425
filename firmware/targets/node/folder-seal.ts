// The Linux-class target's flash folder, authenticated (issue 21, finding 7).
// Anyone who can write the folder could otherwise edit the RTC's offset,
// drop the clock floor and the audit pages, or copy back an older key set or
// replay store, and restart. One seal file lists every file of the folder
// with its SHA-256 and a generation counter, under an HMAC-SHA256 keyed by a
// secret derived from the device key (the key's own bytes are covered too:
// another device.key is another seal key). At start every file is checked
// against the seal; afterwards every read is. A file that was edited, removed,
// rolled back to an older copy (its hash is not the sealed one) or added is
// moved to quarantine/ (kept for the operator, never read again) and
// reported: the caller makes the clock untrusted until a signed TIME, logs
// and shows it (node/main.ts). A folder whose seal is missing or does not
// verify is set aside whole: the device starts as new and says so.
//
// A write is: the seal with the file's new hash and its previous one, the
// file (written whole and renamed), the seal with the new hash alone. A power
// cut anywhere leaves the file matching one of the sealed hashes, so a cut is
// never taken for tampering, and a rolled-back file never matches.
//
// What it cannot catch: the whole folder replaced by an older copy of itself
// (seal and files together: a backup), and anyone who can read device.key
// (root, the service's user, the SD card in another computer) can seal what
// they like. README, "Security", says what protects against those.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { mkdirSync, readdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { overlay } from "../../core/bytes";
import type { Storage } from "../../hal/storage";
import { eraseWhole, fileNameOf, readWhole, secureFolder, writeWhole } from "./dir-storage";

export const SEAL_FILE = ".seal";
export const QUARANTINE = "quarantine";
const DEVICE_KEY_FILE = "device.key";

/** A file's sealed hash (null: absent) and, while it is being written, the one before. */
interface Entry {
  h: string | null;
  prev?: string | null;
}

interface Body {
  v: 1;
  gen: number;
  files: Record<string, Entry>;
}

export interface SealedFolder {
  /** The flash files (hal/storage.ts), each checked against the seal when read. */
  storage: Storage;
  /** A file outside the flash names (the RTC's offset: ".rtc"), sealed the same way. */
  text(file: string): { read(): string | undefined; write(s: string): void; erase(): void };
  /** What failed its check at start, one phrase each; empty when the folder is as this device left it. */
  readonly problems: string[];
  /** Set by the caller: a file failed its check after start (edited while running). */
  onTamper: (what: string) => void;
  /** The seal's generation: counts every write since the folder was made. */
  generation(): number;
}

const sha = (b: Uint8Array | undefined): string | null => (b === undefined ? null : createHash("sha256").update(b).digest("hex"));

/** The seal key from the device key file ([seed 32][public key 32][CRC]): as app/identity.ts derives its secrets. */
function sealKey(deviceKey: Uint8Array | undefined): Buffer | undefined {
  if (deviceKey === undefined || deviceKey.length < 32) return undefined;
  return createHash("sha512").update("pindai/folder-seal/").update(deviceKey.subarray(0, 32)).digest().subarray(0, 32);
}

function mac(key: Buffer, text: string): Buffer {
  return createHmac("sha256", key).update(text).digest();
}

/** The seal's body when its HMAC verifies under `key`, else undefined. */
function openSeal(bytes: Uint8Array | undefined, key: Buffer | undefined): Body | undefined {
  if (bytes === undefined || key === undefined) return undefined;
  const text = Buffer.from(bytes).toString("utf8");
  const nl = text.lastIndexOf("\n");
  if (nl < 0) return undefined;
  const body = text.substring(0, nl);
  const tag = Buffer.from(text.substring(nl + 1), "hex");
  const want = mac(key, body);
  if (tag.length !== want.length || !timingSafeEqual(tag, want)) return undefined;
  try {
    const b = JSON.parse(body) as Body;
    if (b.v !== 1 || !Number.isSafeInteger(b.gen) || typeof b.files !== "object" || b.files === null) return undefined;
    return b;
  } catch {
    return undefined;
  }
}

/** Files of the folder the seal covers: regular files but the seal itself and the "~" halves of unfinished writes. */
function filesIn(dir: string): string[] {
  return readdirSync(dir).filter((f) => f !== SEAL_FILE && f.charAt(0) !== "~" && statSync(join(dir, f)).isFile());
}

export function sealedFolder(dir: string): SealedFolder {
  secureFolder(dir);
  const problems: string[] = [];
  let key = sealKey(readWhole(dir, DEVICE_KEY_FILE));
  const sealBytes = readWhole(dir, SEAL_FILE);
  const opened = openSeal(sealBytes, key);
  let gen = opened === undefined ? 0 : opened.gen;
  /** The sealed hash of each file, once checked. */
  const files: Record<string, Entry> = Object.create(null) as Record<string, Entry>;
  let quarantined: string | undefined;

  const quarantine = (file: string): void => {
    if (quarantined === undefined) {
      quarantined = join(QUARANTINE, new Date().toISOString().replace(/[:.]/g, "-"));
      mkdirSync(join(dir, quarantined), { recursive: true, mode: 0o700 });
    }
    renameSync(join(dir, file), join(dir, quarantined, file));
  };

  const save = (): void => {
    if (key === undefined) return; // no device key yet (first start): sealed when it is written
    gen++;
    const body = JSON.stringify({ v: 1, gen, files } satisfies Body);
    writeWhole(dir, SEAL_FILE, new Uint8Array(Buffer.from(body + "\n" + mac(key, body).toString("hex"))));
  };

  const present = filesIn(dir);
  if (opened === undefined) {
    if (sealBytes !== undefined || present.length > 0) {
      // Nothing here can be told from an attacker's: set aside whole, device key too (one an attacker chose must not become the identity).
      problems.push(sealBytes === undefined ? "the seal file is missing" : "the seal does not verify");
      for (const f of present) quarantine(f);
      if (sealBytes !== undefined) quarantine(SEAL_FILE);
      key = undefined;
    }
  } else {
    for (const f of present) if (!Object.hasOwn(opened.files, f)) (problems.push(f + ": not written by this device"), quarantine(f));
    for (const f of Object.keys(opened.files)) {
      const e = opened.files[f];
      const h = sha(readWhole(dir, f));
      if (h === e.h || (e.prev !== undefined && h === e.prev)) {
        if (h !== null) files[f] = { h };
      } else {
        problems.push(f + (h === null ? ": missing" : e.h === null ? ": should not exist" : ": changed or rolled back"));
        if (h !== null) quarantine(f);
      }
    }
    save(); // resolved: no file keeps a second accepted hash; the next start is clean (the caller reports the problems once)
  }

  let onTamper = (what: string): void => void what;

  /** A file's bytes when they are the sealed ones; anything else is quarantined, reported, and reads as absent. */
  const read = (file: string): Uint8Array | undefined => {
    const b = readWhole(dir, file);
    const h = sha(b);
    const want = files[file] === undefined ? null : files[file].h;
    if (h === want) return b;
    if (b !== undefined) quarantine(file);
    if (want !== null) delete files[file];
    save();
    onTamper(file + (b === undefined ? ": missing" : ": changed while running"));
    return undefined;
  };

  /** Writes (bytes) or erases (undefined) a file: both hashes sealed across the change, then the new one alone. */
  const commit = (file: string, bytes: Uint8Array | undefined): void => {
    const h = sha(bytes);
    const prev = files[file] === undefined ? null : files[file].h;
    files[file] = { h, prev };
    save();
    if (bytes === undefined) eraseWhole(dir, file);
    else writeWhole(dir, file, bytes);
    if (h === null) delete files[file];
    else files[file] = { h };
    if (file === DEVICE_KEY_FILE && bytes !== undefined) key = sealKey(bytes); // a new identity: a new seal key
    save();
  };

  return {
    problems,
    get onTamper() {
      return onTamper;
    },
    set onTamper(f) {
      onTamper = f;
    },
    generation: () => gen,
    storage: {
      read: (name) => read(fileNameOf(name)),
      write: (name, data, offset) => commit(fileNameOf(name), overlay(read(fileNameOf(name)), data, offset)),
      erase: (name) => commit(fileNameOf(name), undefined),
    },
    text: (file) => ({
      read: () => {
        const b = read(file);
        return b === undefined ? undefined : Buffer.from(b).toString("utf8");
      },
      write: (s) => commit(file, new Uint8Array(Buffer.from(s, "utf8"))),
      erase: () => commit(file, undefined),
    }),
  };
}
