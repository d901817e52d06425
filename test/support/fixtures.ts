// Real keys, key sets and presentations made with the host tools (cbor-x and
// @noble/ed25519), for tests of the device-side core.
import { loadKeyset, type Keyset, type RootKey } from "../../firmware/core/keyset";
import { keysetPayload, sign1, type Identity, type KeyEntry } from "../../host/issuer/cose-sign";
import { newKey, unhex, USAGE_BIT, type KeyFile, type Usage } from "../../host/issuer/keyfile";
import { issuePresentation, type PresentationOptions, type Signer } from "../../host/issuer/issuer";

export const T0 = 1_800_000_000; // a fixed "now" (2027-01-15)

export interface TestKey {
  file: KeyFile;
  signer: Signer;
  publicKey: Uint8Array;
}

export function makeKey(usage: Usage[], nbf = T0 - 86400, exp = T0 + 365 * 86400): TestKey {
  const file = newKey(usage, nbf, exp);
  return { file, signer: { secretKey: unhex(file.secretKey!), kid: unhex(file.kid) }, publicKey: unhex(file.publicKey) };
}

export function rootOf(k: TestKey): RootKey {
  return { kid: k.signer.kid, publicKey: k.publicKey };
}

export function entryOf(k: TestKey): KeyEntry {
  let usage = 0;
  for (const u of k.file.usage) if (u !== "root") usage |= USAGE_BIT[u];
  return { kid: k.signer.kid, publicKey: k.publicKey, nbf: k.file.nbf, exp: k.file.exp, usage };
}

export interface KeysetOptions {
  version?: number;
  issued?: number;
  nextUpdate?: number;
  revoked?: Uint8Array[];
  skew?: number;
  maxValidity?: number;
  replay?: number;
}

export function signKeyset(root: TestKey, keys: TestKey[], o: KeysetOptions = {}): Uint8Array {
  return sign1(
    root.signer.secretKey,
    root.signer.kid,
    keysetPayload({
      version: o.version ?? 1,
      issued: o.issued ?? T0 - 3600,
      nextUpdate: o.nextUpdate ?? T0 + 30 * 86400,
      keys: keys.map(entryOf),
      revoked: o.revoked ?? [],
      policy: { skew: o.skew ?? 30, maxValidity: o.maxValidity ?? 90, replay: o.replay ?? 1 },
    }),
  );
}

export function keysetOf(root: TestKey, keys: TestKey[], o: KeysetOptions = {}): Keyset {
  const r = loadKeyset(signKeyset(root, keys, o), [rootOf(root)]);
  if (!r.ok) throw new Error("test key set did not load: " + r.reason);
  return r.keyset;
}

export const ALICE: Identity = {
  nik: "3201014512900001",
  name: "Siti Aminah",
  dob: "1990-12-05",
  sex: "P",
  pob: "Bogor",
};

export function present(k: TestKey, o: Partial<PresentationOptions> = {}, idn: Identity = ALICE): string {
  return issuePresentation(k.signer, idn, { iat: T0, ...o });
}
