// A device scan cut into its steps, for the Espruino-on-ARM count
// (bench/espruino-arm/steps.ts): `prepare` does the whole scan once (key set
// loaded, tables made, every step's input kept here); each other call runs
// one step again on those inputs, so its count is that step alone. The
// steps are the core's own functions, in the order verifyPresentation runs them.
import { type Bytes, concat, slice } from "../../firmware/core/bytes";
import { base45Decode } from "../../firmware/core/base45";
import { decodeSign1, sigStructure, type Sign1 } from "../../firmware/core/cose";
import { parseIdentity, parsePresentationClaims } from "../../firmware/core/claims";
import { cborDecode, mapGet } from "../../firmware/core/cbor";
import { ed25519Verify, reduce64, scalarIsCanonical } from "../../firmware/core/ed25519";
import { makeBaseTable, makeKeyTable } from "../../firmware/core/ed25519-table-make";
import { type VerifyTables, tableMulSub } from "../../firmware/core/ed25519-table";
import { encodePoint } from "../../firmware/core/ed25519-curve";
import { isNonCanonical } from "../../firmware/core/field25519";
import { sha512 } from "../../firmware/core/sha512";
import { checkSigner } from "../../firmware/core/trust";
import { type Keyset, UsageBits, findKey } from "../../firmware/core/keyset";
import { keysetFrom, presentationOnDevice } from "../../test/conformance/verifier-entry";

let text = "";
let raw: Bytes;
let s1: Sign1;
let ks: Keyset;
let tables: VerifyTables | undefined;
let signed: Bytes;
let hashed: Bytes;
let digest: Bytes;
let k: Bytes;
let pub: Bytes;
let args: string[] = [];

/** The whole scan once (the bench's device call), then every step's input kept. */
export function prepare(qr: string, ksHex: string, rootKid: string, rootPub: string, now: string, trusted: string): string {
  args = [qr, ksHex, rootKid, rootPub, now, trusted];
  const v = presentationOnDevice(qr, ksHex, rootKid, rootPub, now, trusted);
  text = qr.substring(4);
  const r = base45Decode(text);
  if (!r.ok) return "no base45";
  raw = r.bytes;
  const c = decodeSign1(raw);
  if (!c.ok) return "no cose";
  s1 = c.sign1;
  ks = keysetFrom(ksHex, rootKid, rootPub) as Keyset;
  pub = ks.keys[0].publicKey;
  const t = makeKeyTable(pub);
  tables = t === undefined ? undefined : { base: baseTable(), key: t };
  signed = sigStructure(s1.protectedBytes, s1.payload);
  hashed = concat([slice(s1.signature, 0, 32), pub, signed]);
  digest = sha512(hashed);
  k = reduce64(digest);
  return v + " " + signed.length + " bytes signed";
}

let base: ReturnType<typeof makeBaseTable> | undefined;
function baseTable() {
  if (base === undefined) base = makeBaseTable();
  return base;
}

export function scan(): string {
  return presentationOnDevice(args[0], args[1], args[2], args[3], args[4], args[5]);
}
export function stepBase45(): string {
  return String(base45Decode(text).ok);
}
export function stepCose(): string {
  return String(decodeSign1(raw).ok);
}
export function stepSigner(): string {
  return String(checkSigner(s1, ks, UsageBits.QR, { now: Number(args[4]), trusted: true }, tables === undefined ? undefined : { base: tables.base, keys: [{ publicKey: pub, table: tables.key }] }).ok);
}
export function stepVerify(): string {
  return ed25519Verify(pub, signed, s1.signature, tables);
}
export function stepSigStructure(): string {
  return String(sigStructure(s1.protectedBytes, s1.payload).length);
}
export function stepChecks(): string {
  const r = slice(s1.signature, 0, 32);
  return String(scalarIsCanonical(slice(s1.signature, 32, 64)) && !isNonCanonical(r));
}
export function stepConcat(): string {
  return String(concat([slice(s1.signature, 0, 32), pub, signed]).length);
}
export function stepSha512(): string {
  return String(sha512(hashed).length);
}
export function stepReduce(): string {
  return String(reduce64(digest).length);
}
export function stepTableMul(): string {
  const t = tables as VerifyTables;
  return String(tableMulSub(slice(s1.signature, 32, 64), t.base, k, t.key) !== undefined);
}
export function stepEncode(): string {
  const t = tables as VerifyTables;
  const q = tableMulSub(slice(s1.signature, 32, 64), t.base, k, t.key);
  return String(encodePoint(q).length);
}
export function stepClaims(): string {
  return String(parsePresentationClaims(s1.payload) !== undefined);
}
export function stepCborPayload(): string {
  return String(cborDecode(s1.payload).ok);
}
export function stepMapGet(): string {
  const r = cborDecode(s1.payload);
  return String(r.ok && mapGet(r.item, 4) !== undefined);
}
export function stepIdentity(): string {
  const r = cborDecode(s1.payload);
  return String(r.ok && parseIdentity(mapGet(r.item, -65537)) !== undefined);
}
export function stepFindKey(): string {
  return String(findKey(ks, s1.kid) !== undefined);
}
