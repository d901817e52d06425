// A card image: what personalisation writes onto a card (the credential file
// 00 01 and the card's own Ed25519 key pair). The PN532 emulator loads it;
// agencies use it to test readers. Mode 0600: it holds the card's secret key.
import { CliError } from "./errors";
import { hex, unhex, MAX_KEY_FILE_BYTES } from "./keyfile";
import { readBoundedText, writeSecretFile } from "./files";

export interface CardImage {
  type: "pindai-card";
  serial: string;
  credential: string; // hex of the COSE_Sign1 file
  publicKey: string; // hex, the cnf key
  secretKey: string; // hex, never leaves a real card
}

/** Writes with mode 0600; returns a warning when the card's secret key lands where git would commit it. */
export function writeCardImage(path: string, serial: string, credential: Uint8Array, publicKey: Uint8Array, secretKey: Uint8Array): string | undefined {
  const img: CardImage = { type: "pindai-card", serial, credential: hex(credential), publicKey: hex(publicKey), secretKey: hex(secretKey) };
  return writeSecretFile(path, JSON.stringify(img, null, 2) + "\n", "card image");
}

export function readCardImage(path: string): { serial: string; credential: Uint8Array; secretKey: Uint8Array } {
  const text = readBoundedText(path, "card image", MAX_KEY_FILE_BYTES);
  let img: CardImage;
  try {
    img = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not a pindai card image (not JSON)`);
  }
  if (img?.type !== "pindai-card" || typeof img.serial !== "string" || typeof img.credential !== "string" || !/^([0-9a-f]{2})+$/.test(img.credential) || !/^[0-9a-f]{64}$/.test(img.secretKey ?? "")) {
    throw new CliError(`${path} is not a pindai card image`);
  }
  return { serial: img.serial, credential: unhex(img.credential), secretKey: unhex(img.secretKey) };
}
