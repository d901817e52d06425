// The Node target's natives: Ed25519 verification, SHA-512 and SHA-256 by the
// machine's OpenSSL (node:crypto), handed to the core as every target hands
// its natives (firmware/core/natives.ts). A Linux-class device has OpenSSL,
// which verifies several times faster than the portable TypeScript; the core
// still makes its own strict checks first (S < L, canonical A and R, small-order
// A refused: core/ed25519.ts), since OpenSSL's acceptance rules are not SPEC's.
//
// Importing this module installs them: it must be evaluated before any module
// of the core (ES modules run in import order), so an entry imports it first
// (firmware/targets/node/main.ts, host/bin/pindai.js, sim/demo.ts).
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import type { Bytes } from "../../core/bytes";
import type { Natives } from "../../core/natives";

// An Ed25519 public key as DER SubjectPublicKeyInfo (RFC 8410): this prefix, then the 32 raw bytes.
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

// Key objects of the last keys seen: a device checks the same few issuer and
// root keys over and over, and making a KeyObject costs about a tenth of a verification.
const KEYS = new Map<string, KeyObject>();
const MAX_KEYS = 64;

function keyObject(raw: Bytes): KeyObject {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("hex");
  let k = KEYS.get(id);
  if (k === undefined) {
    k = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
    if (KEYS.size >= MAX_KEYS) KEYS.delete(KEYS.keys().next().value as string);
    KEYS.set(id, k);
  }
  return k;
}

function opensslVerify(publicKey: Bytes, message: Bytes, signature: Bytes): boolean {
  try {
    return verify(null, message, keyObject(publicKey), signature);
  } catch {
    return false; // a key OpenSSL cannot take verifies nothing (the core says why)
  }
}

const digest = (alg: string) => (m: Bytes): Bytes => new Uint8Array(createHash(alg).update(m).digest());

export const OPENSSL_NATIVES: Natives = {
  ed25519Verify: opensslVerify,
  sha512: digest("sha512"),
  sha256: digest("sha256"),
};

const g = globalThis as { PINDAI_NATIVES?: Natives };
if (g.PINDAI_NATIVES === undefined) g.PINDAI_NATIVES = OPENSSL_NATIVES;
