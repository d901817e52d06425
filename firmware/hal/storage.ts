// Flash files. A write puts bytes at an offset of a file (growing it as
// needed); a power cut during a write may leave any prefix of those bytes
// written and the rest as it was. Code above this interface must stay
// correct whatever prefix survives (see app/audit-log.ts, app/keyset-store.ts).
import type { Bytes } from "../core/bytes";

export interface Storage {
  /** The whole file, or undefined when it does not exist. */
  read(name: string): Bytes | undefined;
  write(name: string, data: Bytes, offset: number): void;
  erase(name: string): void;
}
