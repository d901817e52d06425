// Ed25519 key generation and signing (RFC 8032 5.1.5 and 5.1.6), for the
// device's own key: it signs the answers an agency must be able to trust
// (status, audit log export). The seed never leaves the device.
import { type Bytes, alloc, concat, slice } from "./bytes";
import { sha512 } from "./sha512";
import { encodePoint } from "./ed25519-curve";
import { reduce64, scalarMulAdd, scalarMulBase } from "./ed25519";
import type { Table } from "./ed25519-table";

/** The secret scalar a (clamped) and the prefix, from the 32-byte seed. */
function expand(seed: Bytes): { a: Bytes; prefix: Bytes } {
  const h = sha512(seed);
  const a = slice(h, 0, 32);
  a[0] &= 248;
  a[31] &= 127;
  a[31] |= 64;
  return { a, prefix: slice(h, 32, 64) };
}

/** The public key A = [a]B of a 32-byte seed. */
export function ed25519PublicKey(seed: Bytes): Bytes {
  return encodePoint(scalarMulBase(expand(seed).a));
}

/** A 64-byte signature R || S of `message` (deterministic, as RFC 8032); faster with the base point's table. */
export function ed25519Sign(seed: Bytes, publicKey: Bytes, message: Bytes, baseTable?: Table): Bytes {
  const k = expand(seed);
  const r = reduce64(sha512(concat([k.prefix, message])));
  const R = encodePoint(scalarMulBase(r, baseTable));
  const h = reduce64(sha512(concat([R, publicKey, message])));
  const S = scalarMulAdd(h, k.a, r);
  const sig = alloc(64);
  for (let i = 0; i < 32; i++) {
    sig[i] = R[i];
    sig[32 + i] = S[i];
  }
  return sig;
}
