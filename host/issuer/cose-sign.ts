// Issuer side of SPEC sections 2, 4 and 5: CBOR with cbor-x, Ed25519 with
// @noble/ed25519. The device side only decodes and verifies (firmware/core).
import { Encoder, Tag } from "cbor-x";
import { ed } from "./ed";

// Plain byte strings (no tag 64), integer map keys, shortest forms.
const encoder = new Encoder({ tagUint8Array: false, useRecords: false, mapsAsObjects: false, variableMapSize: true });

type Value = number | bigint | string | boolean | null | Uint8Array | Value[] | Map<number | string, Value> | Tag;

// cbor-x writes integers above 2^32 as floats; SPEC wants unsigned integers.
function ints(v: Value): Value {
  if (typeof v === "number" && Number.isInteger(v) && (v > 0xffffffff || v < -0xffffffff)) return BigInt(v);
  if (Array.isArray(v)) return v.map(ints);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, ints(x)]));
  return v;
}

export function cborEncode(v: Value): Uint8Array {
  return new Uint8Array(encoder.encode(ints(v)));
}

export const ALG_EDDSA = -8;

export interface Sign1Options {
  /** Wrap in tag 18 (SPEC 2: tagged or untagged are both valid). Default true. */
  tagged?: boolean;
  /** More protected header parameters (tests: e.g. a `crit`, label 2). */
  protectedExtra?: Map<number, Value>;
  /** The unprotected header map. Default empty. */
  unprotected?: Map<number, Value>;
}

/** COSE_Sign1 (RFC 9052 4.2) with protected {1: -8, 4: kid}, signed by `secretKey`. */
export function sign1(secretKey: Uint8Array, kid: Uint8Array, payload: Uint8Array, opts: Sign1Options = {}): Uint8Array {
  const protectedBytes = cborEncode(new Map<number, Value>([[1, ALG_EDDSA], [4, kid], ...(opts.protectedExtra ?? [])]));
  const toSign = cborEncode(["Signature1", protectedBytes, new Uint8Array(0), payload]); // RFC 9052 4.4
  const signature = ed.sign(toSign, secretKey);
  const body: Value = [protectedBytes, opts.unprotected ?? new Map(), payload, signature];
  return cborEncode(opts.tagged === false ? body : new Tag(body, 18));
}

export interface Identity {
  nik: string;
  name: string;
  dob: string;
  sex: "L" | "P";
  pob?: string;
  photoSha256?: Uint8Array;
}

/** The idn map of SPEC 2 (claim -65537). */
export function identityMap(id: Identity): Map<number, Value> {
  const m = new Map<number, Value>([[1, id.nik], [2, id.name], [3, id.dob], [4, id.sex]]);
  if (id.pob !== undefined) m.set(5, id.pob);
  if (id.photoSha256 !== undefined) m.set(6, id.photoSha256);
  return m;
}

export const CLAIM = { ISS: 1, SUB: 2, EXP: 4, IAT: 6, CTI: 7, CNF: 8, IDN: -65537 } as const;

export interface PresentationClaims {
  iss: string;
  iat: number;
  exp: number;
  cti: Uint8Array;
  idn: Identity;
}

export function presentationPayload(c: PresentationClaims): Uint8Array {
  return cborEncode(
    new Map<number, Value>([
      [CLAIM.ISS, c.iss],
      [CLAIM.EXP, c.exp],
      [CLAIM.IAT, c.iat],
      [CLAIM.CTI, c.cti],
      [CLAIM.IDN, identityMap(c.idn)],
    ]),
  );
}

export interface CardClaims {
  iss: string;
  sub: string; // card serial
  iat: number;
  exp: number;
  cardPublicKey: Uint8Array;
  idn: Identity;
}

/** SPEC 5: cnf = {1: COSE_Key}, COSE_Key = {1: 1 (OKP), -1: 6 (Ed25519), -2: x}. */
export function cardPayload(c: CardClaims): Uint8Array {
  const coseKey = new Map<number, Value>([[1, 1], [-1, 6], [-2, c.cardPublicKey]]);
  return cborEncode(
    new Map<number, Value>([
      [CLAIM.ISS, c.iss],
      [CLAIM.SUB, c.sub],
      [CLAIM.EXP, c.exp],
      [CLAIM.IAT, c.iat],
      [CLAIM.CNF, new Map<number, Value>([[1, coseKey]])],
      [CLAIM.IDN, identityMap(c.idn)],
    ]),
  );
}

export interface KeyEntry {
  kid: Uint8Array;
  publicKey: Uint8Array;
  nbf: number;
  exp: number;
  usage: number;
}

export interface KeysetContent {
  version: number;
  issued: number;
  nextUpdate: number;
  keys: KeyEntry[];
  revoked: Uint8Array[];
  policy: { skew: number; maxValidity: number; replay: number };
}

/** SPEC 4 payload. */
export function keysetPayload(k: KeysetContent): Uint8Array {
  return cborEncode(
    new Map<number, Value>([
      [1, k.version],
      [2, k.issued],
      [3, k.nextUpdate],
      [
        4,
        k.keys.map(
          (e) =>
            new Map<number, Value>([
              [1, e.kid],
              [2, e.publicKey],
              [3, e.nbf],
              [4, e.exp],
              [5, e.usage],
            ]),
        ),
      ],
      [5, k.revoked],
      [6, new Map<number, Value>([[1, k.policy.skew], [2, k.policy.maxValidity], [3, k.policy.replay]])],
    ]),
  );
}
