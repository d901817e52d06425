// The device's flash as the app sees it: a read, write or erase that throws
// (a worn or full flash, a folder made read-only, a driver error) is a
// storage fault, remembered until the next boot. From then on the device
// writes nothing (a store read as empty must never overwrite what is in
// flash: the device key, the floors, the log stay for the administrator)
// and verifies nothing: app/verifier.ts shows the amber NOT READY screen
// and never says OK. The Ed25519 tables are the exception: they only make
// verification faster, so a table file that cannot be read, written (a full
// flash) or erased throws to the table maker, which goes on without it.
import type { Bytes } from "../core/bytes";
import { isTableFile } from "./table-files";
import type { Storage } from "../hal/storage";

export class WatchedStorage implements Storage {
  /** What failed first ("write replay.0"), or undefined while the flash works. */
  failure: string | undefined = undefined;

  constructor(private readonly inner: Storage) {}

  /** A store found a record that fails its check and cannot be recovered. */
  fail(what: string): void {
    if (this.failure === undefined) this.failure = what;
  }

  read(name: string): Bytes | undefined {
    if (isTableFile(name)) return this.inner.read(name); // optional: the table maker handles it
    try {
      return this.inner.read(name);
    } catch (e) {
      this.fail("read " + name);
      return undefined;
    }
  }

  write(name: string, data: Bytes, offset: number): void {
    if (this.failure !== undefined) return;
    if (isTableFile(name)) return this.inner.write(name, data, offset); // optional: the table maker handles it
    try {
      this.inner.write(name, data, offset);
    } catch (e) {
      this.fail("write " + name);
    }
  }

  erase(name: string): void {
    if (this.failure !== undefined) return;
    if (isTableFile(name)) return this.inner.erase(name); // optional: the table maker handles it
    try {
      this.inner.erase(name);
    } catch (e) {
      this.fail("erase " + name);
    }
  }
}
