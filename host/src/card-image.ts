// A card image: what personalisation writes onto a card (the credential file
// 00 01 and the card's own Ed25519 key pair). The PN532 emulator loads it;
// agencies use it to test readers. Mode 0600: it holds the card's secret key.
import { readFileSync, writeFileSync, chmodSync } from "node:fs";
import { CliError } from "./errors";
import { hex, unhex } from "./keyfile";

export interface CardImage {
  type: "pindai-card";
  serial: string;
  credential: string; // hex of the COSE_Sign1 file
  publicKey: string; // hex, the cnf key
  secretKey: string; // hex, never leaves a real card
}

export function writeCardImage(path: string, serial: string, credential: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array) {
  const img: CardImage = { type: "pindai-card", serial, credential: hex(credential), publicKey: hex(publicKey), secretKey: hex(secretKey) };
  writeFileSync(path, JSON.stringify(img, null, 2) + "\n", { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function readCardImage(path: string): { serial: string; credential: Uint8Array; secretKey: Uint8Array } {
  let img: CardImage;
  try {
    img = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new CliError(`cannot read card image ${path}: ${(e as Error).message}`);
  }
  if (img?.type !== "pindai-card" || typeof img.credential !== "string" || !/^[0-9a-f]{64}$/.test(img.secretKey ?? "")) {
    throw new CliError(`${path} is not a pindai card image`);
  }
  return { serial: img.serial, credential: unhex(img.credential), secretKey: unhex(img.secretKey) };
}
