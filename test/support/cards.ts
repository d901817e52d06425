// Virtual cards for the PN532 emulator, made with the host tools: a valid
// card, a clone, an expired card and a revoked card, and the key set that
// judges them.
import { ed } from "../../host/src/ed";
import { issueCardCredential } from "../../host/src/issuer";
import type { VirtualCard } from "../../sim/pn532/emulator";
import { ALICE, T0, keysetOf, makeKey, rootOf, signKeyset, type TestKey } from "./fixtures";

export interface CardWorld {
  root: TestKey;
  issuer: TestKey;
  keysetBytes: Uint8Array;
  keyset: ReturnType<typeof keysetOf>;
  valid: VirtualCard;
  clone: VirtualCard;
  expired: VirtualCard;
  revoked: VirtualCard;
}

function card(issuer: TestKey, serial: string, iat: number, exp: number): VirtualCard {
  const secretKey = ed.utils.randomSecretKey();
  const credential = issueCardCredential(issuer.signer, ALICE, { serial, iat, exp, cardPublicKey: ed.getPublicKey(secretKey) });
  return { serial, credential, secretKey };
}

export function cardWorld(): CardWorld {
  const root = makeKey(["root"]);
  const issuer = makeKey(["card"]);
  const valid = card(issuer, "KTP-0001", T0 - 86400, T0 + 5 * 365 * 86400);
  return {
    root,
    issuer,
    keysetBytes: signKeyset(root, [issuer], { revoked: [new Uint8Array(Buffer.from("KTP-0666"))] }),
    keyset: keysetOf(root, [issuer], { revoked: [new Uint8Array(Buffer.from("KTP-0666"))] }),
    valid,
    // The same file on another chip: it cannot sign with the card's key.
    clone: { ...valid, secretKey: ed.utils.randomSecretKey() },
    expired: card(issuer, "KTP-0002", T0 - 10 * 365 * 86400, T0 - 86400),
    revoked: card(issuer, "KTP-0666", T0 - 86400, T0 + 86400),
  };
}

export { rootOf };
