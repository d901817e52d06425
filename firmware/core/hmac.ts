// HMAC-SHA-512 (RFC 2104, with SHA-512 as in RFC 4231): the audit log's keyed
// hash of a NIK under the device's own secret. Without the secret, a logged
// value cannot be brute-forced from the 10^10-odd NIKs of a region.
// Cost: two SHA-512 runs over the message plus 256 bytes of pads.
import { type Bytes, alloc, concat } from "./bytes";
import { sha512 } from "./sha512";

const BLOCK = 128; // SHA-512 block size in bytes (FIPS 180-4)

export function hmacSha512(key: Bytes, msg: Bytes): Bytes {
  // RFC 2104 section 2: a key longer than a block is hashed first.
  const k = key.length > BLOCK ? sha512(key) : key;
  const ipad = alloc(BLOCK);
  const opad = alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++) {
    const b = i < k.length ? k[i] : 0;
    ipad[i] = b ^ 0x36;
    opad[i] = b ^ 0x5c;
  }
  return sha512(concat([opad, sha512(concat([ipad, msg]))]));
}
