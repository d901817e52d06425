// CWT claims (RFC 8392) as SPEC sections 2 and 5 define them. Parsed only
// after the signature has verified; any missing or ill-typed required claim
// makes the whole credential MALFORMED.
import { type Bytes, charCount } from "./bytes";
import { type CborItem, cborDecode, mapBytes, mapGet, mapText, mapUint, isKind, CBOR } from "./cbor";
import { NIK_DIGITS, MAX_NAME_CHARS, MAX_POB_CHARS, MIN_CTI_BYTES, MAX_CTI_BYTES, MAX_SERIAL_CHARS } from "./limits";

export const CLAIM_ISS = 1;
export const CLAIM_SUB = 2;
export const CLAIM_EXP = 4;
export const CLAIM_IAT = 6;
export const CLAIM_CTI = 7;
export const CLAIM_CNF = 8;
export const CLAIM_IDN = -65537;

export interface Identity {
  nik: string;
  name: string;
  dob: string;
  sex: string;
  pob?: string;
  photoSha256?: Bytes;
}

export interface PresentationClaims {
  iss: string;
  iat: number;
  exp: number;
  cti: Bytes;
  idn: Identity;
}

export interface CardClaims {
  iss: string;
  sub: string;
  iat: number;
  exp: number;
  cardKey: Bytes;
  idn: Identity;
}

function isDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function num(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (s.charCodeAt(i) - 48);
  return n;
}

/** YYYY-MM-DD with a real month and a day that the month has. */
export function isDate(s: string): boolean {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  if (!isDigits(s, 0, 4) || !isDigits(s, 5, 7) || !isDigits(s, 8, 10)) return false;
  const y = num(s, 0, 4);
  const m = num(s, 5, 7);
  const d = num(s, 8, 10);
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
  return d <= days;
}

/** The idn map (SPEC 2): NIK 16 digits, name 1-100 characters, date, sex L/P. */
export function parseIdentity(item: CborItem | undefined): Identity | undefined {
  if (item === undefined || !isKind(item, CBOR.MAP)) return undefined;
  const nik = mapText(item, 1);
  const name = mapText(item, 2);
  const dob = mapText(item, 3);
  const sex = mapText(item, 4);
  if (nik === undefined || nik.length !== NIK_DIGITS || !isDigits(nik, 0, NIK_DIGITS)) return undefined;
  const nameChars = name === undefined ? 0 : charCount(name); // counted once: a loop over the name
  if (name === undefined || nameChars < 1 || nameChars > MAX_NAME_CHARS) return undefined;
  if (dob === undefined || !isDate(dob)) return undefined;
  if (sex !== "L" && sex !== "P") return undefined;
  const id: Identity = { nik, name, dob, sex };
  if (mapGet(item, 5) !== undefined) {
    const pob = mapText(item, 5);
    if (pob === undefined || charCount(pob) > MAX_POB_CHARS) return undefined;
    id.pob = pob;
  }
  if (mapGet(item, 6) !== undefined) {
    const photo = mapBytes(item, 6);
    if (photo === undefined || photo.length !== 32) return undefined;
    id.photoSha256 = photo;
  }
  return id;
}

function payloadMap(payload: Bytes): CborItem | undefined {
  const r = cborDecode(payload);
  return r.ok && isKind(r.item, CBOR.MAP) ? r.item : undefined;
}

/** SPEC 2 claims of a QR presentation. */
export function parsePresentationClaims(payload: Bytes): PresentationClaims | undefined {
  const m = payloadMap(payload);
  if (m === undefined) return undefined;
  const iss = mapText(m, CLAIM_ISS);
  const exp = mapUint(m, CLAIM_EXP);
  const iat = mapUint(m, CLAIM_IAT);
  const cti = mapBytes(m, CLAIM_CTI);
  const idn = parseIdentity(mapGet(m, CLAIM_IDN));
  if (iss === undefined || exp === undefined || iat === undefined || idn === undefined) return undefined;
  if (cti === undefined || cti.length < MIN_CTI_BYTES || cti.length > MAX_CTI_BYTES) return undefined;
  return { iss, exp, iat, cti, idn };
}

/** SPEC 5 claims of a card credential; cnf = {1: {1: 1 (OKP), -1: 6 (Ed25519), -2: x}}. */
export function parseCardClaims(payload: Bytes): CardClaims | undefined {
  const m = payloadMap(payload);
  if (m === undefined) return undefined;
  const iss = mapText(m, CLAIM_ISS);
  const sub = mapText(m, CLAIM_SUB);
  const exp = mapUint(m, CLAIM_EXP);
  const iat = mapUint(m, CLAIM_IAT);
  const idn = parseIdentity(mapGet(m, CLAIM_IDN));
  const cnf = mapGet(m, CLAIM_CNF);
  if (iss === undefined || sub === undefined || exp === undefined || iat === undefined || idn === undefined) {
    return undefined;
  }
  if (sub.length < 1 || sub.length > MAX_SERIAL_CHARS || cnf === undefined || !isKind(cnf, CBOR.MAP)) return undefined;
  const key = mapGet(cnf, 1);
  if (key === undefined || !isKind(key, CBOR.MAP)) return undefined;
  const kty = mapUint(key, 1);
  const crv = mapUint(key, -1);
  const x = mapBytes(key, -2);
  if (kty !== 1 || crv !== 6 || x === undefined || x.length !== 32) return undefined;
  return { iss, sub, exp, iat, cardKey: x, idn };
}
