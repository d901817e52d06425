// The device's own Ed25519 key, made on first boot from the hardware random
// source and kept in flash as [seed 32][public key 32][CRC-32]. Its kid
// (SPEC 4: SHA-256(public key)[0:8]) is the device id that signed admin
// commands must name, and it signs the answers an agency must trust.
// A write torn by a power cut fails the CRC, so the next boot makes a new key
// (the device was not enrolled yet: the file is written once, on first boot).
import { type Bytes, alloc, concat, copyInto, slice, utf8Encode } from "../core/bytes";
import { ed25519PublicKey, ed25519Sign } from "../core/ed25519-sign";
import type { Table } from "../core/ed25519-table";
import { kidOf } from "../core/sha256";
import { sha512 } from "../core/sha512";
import type { Random } from "../hal/random";
import type { Storage } from "../hal/storage";
import { crc32, getU32, putU32 } from "../core/crc32";

export const IDENTITY_FILE = "device.key";
const FILE_BYTES = 68;

export class DeviceIdentity {
  readonly id: Bytes;
  readonly publicKey: Bytes;
  private readonly seed: Bytes;

  constructor(storage: Storage, random: Random) {
    const b = storage.read(IDENTITY_FILE);
    if (b !== undefined && b.length === FILE_BYTES && crc32(b, 0, 64) === getU32(b, 64)) {
      this.seed = slice(b, 0, 32);
      this.publicKey = slice(b, 32, 64);
    } else {
      this.seed = random.bytes(32);
      this.publicKey = ed25519PublicKey(this.seed);
      const f = alloc(FILE_BYTES);
      copyInto(f, 0, this.seed, 0, 32);
      copyInto(f, 32, this.publicKey, 0, 32);
      putU32(f, 64, crc32(f, 0, 64));
      storage.erase(IDENTITY_FILE);
      storage.write(IDENTITY_FILE, f, 0);
    }
    this.id = kidOf(this.publicKey);
  }

  /** An Ed25519 signature by the device key (faster with the base point's table, when the caller has it). */
  sign(message: Bytes, baseTable?: Table): Bytes {
    return ed25519Sign(this.seed, this.publicKey, message, baseTable);
  }

  /** A 32-byte secret for one purpose, derived from the seed; never leaves the device. */
  secret(label: string): Bytes {
    return slice(sha512(concat([utf8Encode("pindai/" + label + "/"), this.seed])), 0, 32);
  }
}
