// What an issuer (and the simulator's "phone") does: make the 90-second QR
// text and the card credential. Used by the CLI, the demo, the simulator and
// the tests, so there is one way to issue.
import { randomBytes } from "node:crypto";
import { base45Encode } from "../../firmware/core/base45";
import { QR_PREFIX } from "../../firmware/core/presentation";
import { PRESENTATION_SECONDS } from "../../firmware/core/policy";
import { cardPayload, presentationPayload, sign1, type Identity, type Sign1Options } from "./cose-sign";

export interface Signer {
  secretKey: Uint8Array;
  kid: Uint8Array;
}

export interface PresentationOptions extends Sign1Options {
  iss?: string;
  iat: number;
  ttl?: number; // seconds, default PRESENTATION_SECONDS (90)
  cti?: Uint8Array; // default 16 random bytes
}

export const DEFAULT_ISSUER = "pindai demo issuer";

export function issuePresentation(signer: Signer, idn: Identity, o: PresentationOptions): string {
  const payload = presentationPayload({
    iss: o.iss ?? DEFAULT_ISSUER,
    iat: o.iat,
    exp: o.iat + (o.ttl ?? PRESENTATION_SECONDS),
    cti: o.cti ?? new Uint8Array(randomBytes(16)),
    idn,
  });
  return QR_PREFIX + base45Encode(sign1(signer.secretKey, signer.kid, payload, o));
}

export interface CardOptions {
  iss?: string;
  serial: string;
  iat: number;
  exp: number;
  cardPublicKey: Uint8Array;
}

export function issueCardCredential(signer: Signer, idn: Identity, o: CardOptions): Uint8Array {
  const payload = cardPayload({
    iss: o.iss ?? DEFAULT_ISSUER,
    sub: o.serial,
    iat: o.iat,
    exp: o.exp,
    cardPublicKey: o.cardPublicKey,
    idn,
  });
  return sign1(signer.secretKey, signer.kid, payload);
}
