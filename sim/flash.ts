// The simulator's flash: files of bytes, optionally kept in a JSON file on
// disk, with power-cut injection: after a budget of written bytes, a write
// stops part-way (the bytes before the cut are kept) and PowerCut is thrown,
// as if the device lost power there.
import { existsSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import type { Storage } from "../firmware/hal/storage";

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

  constructor(private readonly path?: string) {
    if (path && existsSync(path)) {
      const json = JSON.parse(readFileSync(path, "utf8")) as Record<string, string>;
      for (const [k, v] of Object.entries(json)) this.files[k] = new Uint8Array(Buffer.from(v, "hex"));
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
    writeFileSync(this.path + ".tmp", JSON.stringify(json));
    renameSync(this.path + ".tmp", this.path);
  }
}
