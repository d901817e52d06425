// Key files: JSON with hex fields, written with mode 0600 because they hold a
// secret key. A "public" file (from `pindai pubkey --out`) has no secretKey.
import { sha256 } from "@noble/hashes/sha2.js";
import { ed } from "./ed";
import { UsageBits } from "../../firmware/core/keyset";
import { CliError } from "./errors";
import { readBoundedText, writeOutput, writeSecretFile } from "./files";

/** A key file is a few hundred bytes; anything far larger is not one. */
export const MAX_KEY_FILE_BYTES = 65536;

export type Usage = "qr" | "card" | "admin" | "root";
export const USAGES: Usage[] = ["qr", "card", "admin", "root"];
export const USAGE_BIT: Record<Exclude<Usage, "root">, number> = {
  qr: UsageBits.QR,
  card: UsageBits.CARD,
  admin: UsageBits.ADMIN,
};

export interface KeyFile {
  type: "pindai-key";
  usage: Usage[];
  kid: string; // 16 hex (8 bytes)
  publicKey: string; // 64 hex
  secretKey?: string; // 64 hex (the RFC 8032 seed)
  nbf: number; // validity window for the key set entry, unix seconds
  exp: number;
}

/** kid = first 8 bytes of SHA-256(public key): stable, and collisions are negligible. */
export function kidOf(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).slice(0, 8);
}

/** A new key; `secret` fixes it (deterministic simulator worlds), otherwise it is random. */
export function newKey(usage: Usage[], nbf: number, exp: number, secret = ed.utils.randomSecretKey()): KeyFile {
  const pub = ed.getPublicKey(secret);
  return {
    type: "pindai-key",
    usage,
    kid: hex(kidOf(pub)),
    publicKey: hex(pub),
    secretKey: hex(secret),
    nbf,
    exp,
  };
}

/** Writes with mode 0600; returns a warning when a secret key lands where git would commit it. */
export function writeKeyFile(path: string, key: KeyFile): string | undefined {
  const text = JSON.stringify(key, null, 2) + "\n";
  if (key.secretKey !== undefined) return writeSecretFile(path, text, "key file");
  writeOutput(path, text, "key file", 0o600);
  return undefined;
}

export function readKeyFile(path: string): KeyFile {
  const text = readBoundedText(path, "key file", MAX_KEY_FILE_BYTES);
  let k: KeyFile;
  try {
    k = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not a pindai key file (not JSON)`);
  }
  if (
    k?.type !== "pindai-key" ||
    !/^[0-9a-f]{64}$/.test(k.publicKey) ||
    !/^[0-9a-f]{16}$/.test(k.kid) ||
    (k.secretKey !== undefined && !/^[0-9a-f]{64}$/.test(k.secretKey)) ||
    !Array.isArray(k.usage) ||
    !k.usage.every((u) => USAGES.includes(u)) ||
    !Number.isSafeInteger(k.nbf) ||
    !Number.isSafeInteger(k.exp) ||
    k.nbf < 0 ||
    k.exp < 0
  ) {
    throw new CliError(`${path} is not a valid pindai key file`);
  }
  if (hex(kidOf(unhex(k.publicKey))) !== k.kid) {
    throw new CliError(`${path}: kid ${k.kid} is not SHA-256(public key)[0:8] (SPEC 4); a device refuses a key set holding it`);
  }
  if (k.secretKey !== undefined && hex(ed.getPublicKey(unhex(k.secretKey))) !== k.publicKey) {
    throw new CliError(`${path}: secret key does not match its public key`);
  }
  return k;
}

export function requireSecret(k: KeyFile, path: string): Uint8Array {
  if (!k.secretKey) throw new CliError(`${path} holds no secret key (it is a public key file)`);
  return unhex(k.secretKey);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

export function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "hex"));
}
