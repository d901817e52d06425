// Storage HAL on a Linux-class device: each flash file is a file in one
// directory. A write builds the whole new file beside the old one, flushes
// it to the disk and renames it over the old one, so a power cut leaves the
// file as it was or as it became, never torn (hal/storage.ts allows any
// prefix of a write; this gives the two ends).
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
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

export function dirStorage(dir: string): Storage {
  makeFolder(dir); // the folder the option names, never its parents

  const pathOf = (name: string) => join(dir, fileNameOf(name));
  const read = (name: string): Uint8Array | undefined => {
    const p = pathOf(name);
    try {
      if (statSync(p).size > MAX_STORED_FILE_BYTES) return undefined;
      return new Uint8Array(readFileSync(p));
    } catch {
      return undefined;
    }
  };
  return {
    read,
    write(name, data, offset) {
      const p = pathOf(name);
      const tmp = join(dir, "~" + fileNameOf(name)); // "~" is never in a stored name (it would be %7e)
      const bytes = overlay(read(name), data, offset);
      const fd = openSync(tmp, "w");
      try {
        writeSync(fd, bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, p);
      flush(dir, "r"); // the rename itself reaches the disk
    },
    erase(name) {
      rmSync(pathOf(name), { force: true });
      flush(dir, "r");
    },
  };
}
