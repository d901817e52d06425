// Storage HAL on a Linux-class device: each flash file is a file in one
// directory. A write builds the whole new file beside the old one, flushes
// it to the disk and renames it over the old one, so a power cut leaves the
// file as it was or as it became, never torn (hal/storage.ts allows any
// prefix of a write; this gives the two ends).
import { chmodSync, closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { overlay } from "../../core/bytes";
import type { Storage } from "../../hal/storage";
import { makeFolder } from "./make-folder";

/** A flash file is a few hundred KB (key set, audit log, Ed25519 tables); a larger one is not ours. */
export const MAX_STORED_FILE_BYTES = 16 * 1024 * 1024;

/** A flash file's name as a file name: letters, digits, "-", "_" and inner dots kept, the rest %XX. */
export function fileNameOf(name: string): string {
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const c = name.charAt(i);
    out += /[A-Za-z0-9_-]/.test(c) || (c === "." && i > 0) ? c : "%" + name.charCodeAt(i).toString(16).padStart(2, "0");
  }
  return out;
}

function flush(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The flash folder holds the device's secrets (device.key, audit.key): it is
 * made 0700 and its files 0600; a folder that group or others can write is
 * refused (anyone who can write it could drop the floors and the log), one
 * that they can only read is closed (chmod 700) before anything is read.
 */
export function secureFolder(dir: string): void {
  makeFolder(dir, { mode: 0o700 }); // the folder the option names, never its parents
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o022) !== 0) throw new Error(`flash folder ${dir} is writable by group or others (mode ${mode.toString(8)}): chmod 700 it`);
  if (mode !== 0o700) chmodSync(dir, 0o700);
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    const st = statSync(p);
    if (st.isFile() && (st.mode & 0o077) !== 0) chmodSync(p, 0o600);
  }
}

/** A file of the folder (its name on disk), or undefined when absent or too large to be ours. */
export function readWhole(dir: string, file: string): Uint8Array | undefined {
  const p = join(dir, file);
  try {
    if (statSync(p).size > MAX_STORED_FILE_BYTES) return undefined;
    return new Uint8Array(readFileSync(p));
  } catch {
    return undefined;
  }
}

/** Replaces a file of the folder whole: the new bytes flushed beside it, then renamed over it. */
export function writeWhole(dir: string, file: string, bytes: Uint8Array): void {
  const tmp = join(dir, "~" + file); // "~" is never in a stored name (it would be %7e)
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, file));
  flush(dir, "r"); // the rename itself reaches the disk
}

/** Removes a file of the folder, the removal flushed. */
export function eraseWhole(dir: string, file: string): void {
  rmSync(join(dir, file), { force: true });
  flush(dir, "r");
}

export function dirStorage(dir: string): Storage {
  secureFolder(dir);
  const read = (name: string) => readWhole(dir, fileNameOf(name));
  return {
    read,
    write: (name, data, offset) => writeWhole(dir, fileNameOf(name), overlay(read(name), data, offset)),
    erase: (name) => eraseWhole(dir, fileNameOf(name)),
  };
}
