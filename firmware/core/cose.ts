// COSE_Sign1 (RFC 9052 section 4.2) as SPEC section 2 profiles it:
//   [protected: bstr .cbor {1: -8, 4: kid}, unprotected: map, payload: bstr, signature: bstr 64]
// optionally wrapped in tag 18. Only the protected kid counts.
import { type Bytes, alloc, concat } from "./bytes";
import { type CborItem, cborDecode, mapGet, isKind, CBOR } from "./cbor";
import { encodeBytes, encodeHead, encodeText } from "./cbor";
import { ed25519Verify } from "./ed25519";
import type { VerifyTables } from "./ed25519-table";
import type { Verdict } from "./verdict";

export const COSE_ALG_EDDSA = -8; // RFC 9053 section 2.2
export const COSE_HEADER_ALG = 1;
export const COSE_HEADER_CRIT = 2;
export const COSE_HEADER_KID = 4;
export const KID_LENGTH = 8;

export interface Sign1 {
  protectedBytes: Bytes;
  kid: Bytes;
  payload: Bytes;
  signature: Bytes;
}

export type Sign1Result = { ok: true; sign1: Sign1 } | { ok: false; verdict: Verdict };

function fail(verdict: Verdict): Sign1Result {
  return { ok: false, verdict };
}

/** Decode and check the shape; MALFORMED or UNSUPPORTED_ALG on anything else. */
export function decodeSign1(data: Bytes): Sign1Result {
  const top = cborDecode(data);
  if (!top.ok) return fail("MALFORMED");
  let item: CborItem = top.item;
  if (isKind(item, CBOR.TAG)) {
    if (item.tag !== 18 || item.content === undefined) return fail("MALFORMED");
    item = item.content;
  }
  if (!isKind(item, CBOR.ARRAY) || item.items === undefined || item.items.length !== 4) return fail("MALFORMED");
  const p = item.items[0];
  const u = item.items[1];
  const payload = item.items[2];
  const sig = item.items[3];
  if (!isKind(p, CBOR.BYTES) || !isKind(u, CBOR.MAP) || !isKind(payload, CBOR.BYTES) || !isKind(sig, CBOR.BYTES)) {
    return fail("MALFORMED");
  }
  const protectedBytes = p.bytes as Bytes;
  const hdr = cborDecode(protectedBytes);
  if (!hdr.ok || !isKind(hdr.item, CBOR.MAP)) return fail("MALFORMED");
  // RFC 9052 3.1: a recipient must refuse a message whose crit names a label
  // it does not understand; pindai understands none (SPEC 2). crit outside the
  // protected bucket is malformed in itself.
  if (mapGet(hdr.item, COSE_HEADER_CRIT) !== undefined || mapGet(u, COSE_HEADER_CRIT) !== undefined) return fail("MALFORMED");
  const alg = mapGet(hdr.item, COSE_HEADER_ALG);
  if (alg === undefined) return fail("MALFORMED");
  if (!(isKind(alg, CBOR.NEGINT) || isKind(alg, CBOR.UINT)) || alg.int !== COSE_ALG_EDDSA) return fail("UNSUPPORTED_ALG");
  const kid = mapGet(hdr.item, COSE_HEADER_KID);
  if (kid === undefined || !isKind(kid, CBOR.BYTES) || (kid.bytes as Bytes).length !== KID_LENGTH) return fail("MALFORMED");
  const signature = sig.bytes as Bytes;
  if (signature.length !== 64) return fail("MALFORMED");
  return {
    ok: true,
    sign1: { protectedBytes, kid: kid.bytes as Bytes, payload: payload.bytes as Bytes, signature },
  };
}

// What every Sig_structure starts with, array(4) and "Signature1", and its
// empty external_aad: made once (on Espruino each costs about a million instructions).
const SIG1_START = concat([encodeHead(4, 4), encodeText("Signature1")]);
const EMPTY_AAD = encodeBytes(alloc(0));

/** Sig_structure = ["Signature1", protected, external_aad = h'', payload] (RFC 9052 section 4.4). */
export function sigStructure(protectedBytes: Bytes, payload: Bytes): Bytes {
  return concat([SIG1_START, encodeHead(2, protectedBytes.length), protectedBytes, EMPTY_AAD, encodeHead(2, payload.length), payload]);
}

/** True when the COSE_Sign1 signature verifies with `publicKey` (strict Ed25519; with its tables when the caller has them). */
export function verifySign1(s: Sign1, publicKey: Bytes, tables?: VerifyTables): boolean {
  return ed25519Verify(publicKey, sigStructure(s.protectedBytes, s.payload), s.signature, tables) === "OK";
}

