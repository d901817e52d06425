// The simulator's flash: files of bytes, optionally kept in a JSON file on
// disk, with power-cut injection: after a budget of written bytes, a write
// stops part-way (the bytes before the cut are kept) and PowerCut is thrown,
// as if the device lost power there.
import { existsSync, writeFileSync, renameSync } from "node:fs";
import type { Storage } from "../firmware/hal/storage";
import { CliError } from "../host/issuer/errors";
import { fsReason, readBoundedText } from "../host/issuer/files";

/** A flash file is a few hundred KB (key set, audit log, Ed25519 tables); far more is not one. */
export const MAX_FLASH_FILE_BYTES = 16 * 1024 * 1024;

export class PowerCut extends Error {
  constructor() {
    super("power cut");
  }
}

export class SimFlash implements Storage {
  files: Record<string, Uint8Array> = {};
  /** Bytes that may still be written before the power goes; undefined = no cut planned. */
  cutAfter: number | undefined = undefined;
  bytesWritten = 0;

  /** With a path: loads the file if it exists and writes it once, so a path that cannot be kept fails here. */
  constructor(private readonly path?: string) {
    if (path) {
      if (existsSync(path)) this.files = parseFlashFile(path, readBoundedText(path, "flash file", MAX_FLASH_FILE_BYTES));
      this.persist();
    }
  }

  read(name: string): Uint8Array | undefined {
    const f = this.files[name];
    return f === undefined ? undefined : f.slice();
  }

  erase(name: string): void {
    delete this.files[name];
    this.persist();
  }

  write(name: string, data: Uint8Array, offset: number): void {
    const old = this.files[name] ?? new Uint8Array(0);
    const size = Math.max(old.length, offset + data.length);
    const f = new Uint8Array(size);
    f.set(old);
    let n = data.length;
    let cut = false;
    if (this.cutAfter !== undefined && n > this.cutAfter) {
      n = this.cutAfter;
      cut = true;
    }
    f.set(data.subarray(0, n), offset);
    // A cut write leaves the file as long as what was really written.
    this.files[name] = cut ? f.subarray(0, Math.max(old.length, offset + n)).slice() : f;
    this.bytesWritten += n;
    if (this.cutAfter !== undefined) this.cutAfter -= n;
    this.persist();
    if (cut) throw new PowerCut();
  }

  private persist(): void {
    if (!this.path) return;
    const json: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.files)) json[k] = Buffer.from(v).toString("hex");
    try {
      writeFileSync(this.path + ".tmp", JSON.stringify(json));
      renameSync(this.path + ".tmp", this.path);
    } catch (e) {
      throw new CliError(`cannot write flash file ${this.path}: ${fsReason(e)}`, 1, e);
    }
  }
}

/** {"name": "hex", ...} as persist() writes it; anything else is refused whole. */
function parseFlashFile(path: string, text: string): Record<string, Uint8Array> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not a simulator flash file (not JSON)`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new CliError(`${path} is not a simulator flash file`);
  const files: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(json)) {
    if (typeof v !== "string" || !/^([0-9a-f]{2})*$/.test(v)) throw new CliError(`${path} is not a simulator flash file (file "${k}" is not hex)`);
    files[k] = new Uint8Array(Buffer.from(v, "hex"));
  }
  return files;
}
