// A provisioned world for the simulator and its demo: a root of trust, a QR
// issuer and a card issuer, the signed key set, a holder with a phone, and
// virtual cards (genuine, clone, expired, revoked).
import { sha256 } from "@noble/hashes/sha2.js";
import { ed } from "../host/issuer/ed";
import { KEYSET_POLICY, KEYSET_UPDATE_DAYS, REPLAY_WARN } from "../firmware/core/policy";
import { issueCardCredential, type Signer } from "../host/issuer/issuer";
import { keysetPayload, sign1, type Identity } from "../host/issuer/cose-sign";
import { newKey, unhex, USAGE_BIT, type KeyFile } from "../host/issuer/keyfile";
import type { RootKey } from "../firmware/core/keyset";
import type { VirtualCard } from "./pn532/emulator";
import type { AdminKey } from "../host/issuer/device-client";

export const HOLDER: Identity = { nik: "3201014512900001", name: "Siti Aminah", dob: "1990-12-05", sex: "P", pob: "Bogor" };
export const REVOKED_SERIAL = "KTP-0666";

export interface World {
  roots: RootKey[];
  /** The agency's device-administration key (usage 4 in the key set). */
  adminKey: AdminKey;
  /** The root's own key: bootstrap and recovery. */
  rootKey: AdminKey;
  qrSigner: Signer;
  cardSigner: Signer;
  keysetBytes: Uint8Array;
  cards: { genuine: VirtualCard; clone: VirtualCard; expired: VirtualCard; revoked: VirtualCard };
}

const signerOf = (k: KeyFile): Signer => ({ secretKey: unhex(k.secretKey!), kid: unhex(k.kid) });

function card(signer: Signer, serial: string, iat: number, exp: number, idn: Identity, secretKey: Uint8Array): VirtualCard {
  const credential = issueCardCredential(signer, idn, { serial, iat, exp, cardPublicKey: ed.getPublicKey(secretKey) });
  return { serial, credential, secretKey };
}

/**
 * Keys valid from a day before `now` for a year; key set replay policy as
 * given (default warn). With a seed every key is derived from it, so the same
 * world (and root of trust) comes back on every run; without one, all random.
 */
export function makeWorld(now: number, replay = REPLAY_WARN, seed?: string): World {
  const secret = (label: string) =>
    seed === undefined ? ed.utils.randomSecretKey() : sha256(new TextEncoder().encode(seed + "/" + label));
  const root = newKey(["root"], now - 86400, now + 365 * 86400, secret("root"));
  const qr = newKey(["qr"], now - 86400, now + 365 * 86400, secret("qr"));
  const cardKey = newKey(["card"], now - 86400, now + 365 * 86400, secret("card"));
  const admin = newKey(["admin"], now - 86400, now + 365 * 86400, secret("admin"));
  const entry = (k: KeyFile, usage: number) => ({ kid: unhex(k.kid), publicKey: unhex(k.publicKey), nbf: k.nbf, exp: k.exp, usage });
  const keysetBytes = sign1(
    unhex(root.secretKey!),
    unhex(root.kid),
    keysetPayload({
      version: 1,
      issued: now - 3600,
      nextUpdate: now + KEYSET_UPDATE_DAYS * 86400,
      keys: [entry(qr, USAGE_BIT.qr), entry(cardKey, USAGE_BIT.card), entry(admin, USAGE_BIT.admin)],
      revoked: [new Uint8Array(Buffer.from(REVOKED_SERIAL))],
      policy: { ...KEYSET_POLICY, replay },
    }),
  );
  const cardSigner = signerOf(cardKey);
  const genuine = card(cardSigner, "KTP-0001", now - 86400, now + 5 * 365 * 86400, HOLDER, secret("card-0001"));
  return {
    roots: [{ kid: unhex(root.kid), publicKey: unhex(root.publicKey) }],
    adminKey: signerOf(admin),
    rootKey: signerOf(root),
    qrSigner: signerOf(qr),
    cardSigner,
    keysetBytes,
    cards: {
      genuine,
      clone: { ...genuine, serial: "KTP-0001 (clone)", secretKey: secret("clone") },
      expired: card(cardSigner, "KTP-0002", now - 10 * 365 * 86400, now - 86400, { ...HOLDER, name: "Budi Santoso", nik: "3171010101800002", sex: "L" }, secret("card-0002")),
      revoked: card(cardSigner, REVOKED_SERIAL, now - 86400, now + 86400, HOLDER, secret("card-0666")),
    },
  };
}
