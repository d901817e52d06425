// Cryptographically strong random bytes (E.hwRand on Espruino, the OS on Node).
import type { Bytes } from "../core/bytes";

export interface Random {
  bytes(n: number): Bytes;
}
