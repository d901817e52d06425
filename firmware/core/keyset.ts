// The issuer key set (trust list), SPEC section 4: a COSE_Sign1 signed by a
// root key compiled into the firmware, carrying the issuer keys, the
// revocation list and the verification policy.
import { type Bytes, equal } from "./bytes";
import { type CborItem, cborDecode, mapBytes, mapGet, mapUint, isKind, CBOR } from "./cbor";
import { decodeSign1, verifySign1 } from "./cose";
import { kidOf } from "./sha256";
import type { Verdict } from "./verdict";
import { MAX_KEYSET_BYTES, MAX_KEYS, MAX_REVOKED, MAX_SKEW, MAX_VALIDITY } from "./limits";
import { NATIVES } from "./natives";
import { DEFAULT_POLICY, type Policy } from "./policy";

/** Key entry usage bits (SPEC 4). */
export const UsageBits = { QR: 1, CARD: 2, ADMIN: 4 };

export interface KeyEntry {
  kid: Bytes;
  publicKey: Bytes;
  nbf: number;
  exp: number;
  usage: number;
}

export interface Keyset {
  version: number;
  issued: number;
  nextUpdate: number;
  keys: KeyEntry[];
  revoked: Bytes[];
  policy: Policy;
  /** The signed bytes as installed (kept so an identical re-install is a no-op). */
  raw: Bytes;
}

/** A root key compiled into the firmware image. */
export interface RootKey {
  kid: Bytes;
  publicKey: Bytes;
}

export type KeysetResult = { ok: true; keyset: Keyset } | { ok: false; verdict: Verdict; reason: string };

export { MAX_KEYSET_BYTES, MAX_KEYS, MAX_REVOKED };

function bad(verdict: Verdict, reason: string): KeysetResult {
  return { ok: false, verdict, reason };
}

function bytesAt(map: CborItem, key: number, len: number): Bytes | undefined {
  const b = mapBytes(map, key);
  return b !== undefined && b.length === len ? b : undefined;
}

function parseKey(item: CborItem): KeyEntry | undefined {
  if (!isKind(item, CBOR.MAP)) return undefined;
  const kid = bytesAt(item, 1, 8);
  const publicKey = bytesAt(item, 2, 32);
  const nbf = mapUint(item, 3);
  const exp = mapUint(item, 4);
  const usage = mapUint(item, 5);
  if (kid === undefined || publicKey === undefined || nbf === undefined || exp === undefined || usage === undefined) {
    return undefined;
  }
  return { kid, publicKey, nbf, exp, usage };
}

function parsePolicy(item: CborItem | undefined): Policy | undefined {
  if (item === undefined) return DEFAULT_POLICY;
  if (!isKind(item, CBOR.MAP)) return undefined;
  const skew = mapGet(item, 1) === undefined ? DEFAULT_POLICY.skew : mapUint(item, 1);
  const maxValidity = mapGet(item, 2) === undefined ? DEFAULT_POLICY.maxValidity : mapUint(item, 2);
  const replay = mapGet(item, 3) === undefined ? DEFAULT_POLICY.replay : mapUint(item, 3);
  if (skew === undefined || skew > MAX_SKEW) return undefined;
  if (maxValidity === undefined || maxValidity < 1 || maxValidity > MAX_VALIDITY) return undefined;
  if (replay === undefined || replay > 2) return undefined;
  return { skew, maxValidity, replay };
}

const NOT_SPEC = "key set payload does not follow SPEC section 4";

/** The payload map of SPEC 4, once its signature has been checked; a string says why it is not one. */
export function parseKeysetPayload(payload: Bytes, raw: Bytes): Keyset | string {
  const r = cborDecode(payload);
  if (!r.ok || !isKind(r.item, CBOR.MAP)) return NOT_SPEC;
  const m = r.item;
  const version = mapUint(m, 1);
  const issued = mapUint(m, 2);
  const nextUpdate = mapUint(m, 3);
  const keysItem = mapGet(m, 4);
  const revokedItem = mapGet(m, 5);
  const policy = parsePolicy(mapGet(m, 6));
  if (version === undefined || issued === undefined || nextUpdate === undefined || policy === undefined) return NOT_SPEC;
  if (keysItem === undefined || !isKind(keysItem, CBOR.ARRAY)) return NOT_SPEC;
  const keyItems = keysItem.items as CborItem[];
  if (keyItems.length > MAX_KEYS) return NOT_SPEC;
  const keys: KeyEntry[] = [];
  for (let i = 0; i < keyItems.length; i++) {
    const k = parseKey(keyItems[i]);
    if (k === undefined) return NOT_SPEC;
    // SPEC 4: a kid that is not its key's hash makes the whole set invalid
    // (else one entry could claim another key's id).
    if (!equal(k.kid, kidOf(k.publicKey))) return "key entry " + i + ": kid is not SHA-256(public key)[0:8]";
    keys.push(k);
  }
  const revoked: Bytes[] = [];
  if (revokedItem !== undefined) {
    if (!isKind(revokedItem, CBOR.ARRAY)) return NOT_SPEC;
    const items = revokedItem.items as CborItem[];
    if (items.length > MAX_REVOKED) return NOT_SPEC;
    for (let i = 0; i < items.length; i++) {
      if (!isKind(items[i], CBOR.BYTES)) return NOT_SPEC;
      revoked.push(items[i].bytes as Bytes);
    }
  }
  // raw is only compared, so a target may hold it compact (Lua: a string, not 16 bytes per byte).
  const compact = NATIVES.compactBytes;
  return { version, issued, nextUpdate, keys, revoked, policy, raw: compact !== undefined ? compact(raw) : raw };
}

/**
 * Decode a signed key set and check it against the compiled-in roots.
 * Nothing in it is looked at before the root signature verifies.
 */
export function loadKeyset(data: Bytes, roots: RootKey[]): KeysetResult {
  if (data.length > MAX_KEYSET_BYTES) return bad("MALFORMED", "key set larger than " + MAX_KEYSET_BYTES + " bytes");
  const s = decodeSign1(data);
  if (!s.ok) return bad(s.verdict, "not a signed key set");
  let root: RootKey | undefined;
  for (let i = 0; i < roots.length; i++) if (equal(roots[i].kid, s.sign1.kid)) root = roots[i];
  if (root === undefined) return bad("UNKNOWN_KEY", "signed by a key that is not a root of this firmware");
  if (!verifySign1(s.sign1, root.publicKey)) return bad("BAD_SIGNATURE", "root signature does not verify");
  const ks = parseKeysetPayload(s.sign1.payload, data);
  if (typeof ks === "string") return bad("MALFORMED", ks);
  return { ok: true, keyset: ks };
}

export type InstallDecision = "INSTALL" | "SAME" | "OLDER";

/** SPEC 4: install only a greater version; the same version with the same bytes is a no-op. */
export function installDecision(current: Keyset | undefined, incoming: Keyset): InstallDecision {
  if (current === undefined || incoming.version > current.version) return "INSTALL";
  if (incoming.version === current.version && equal(incoming.raw, current.raw)) return "SAME";
  return "OLDER";
}

export function findKey(ks: Keyset, kid: Bytes): KeyEntry | undefined {
  for (let i = 0; i < ks.keys.length; i++) if (equal(ks.keys[i].kid, kid)) return ks.keys[i];
  return undefined;
}

export function isRevoked(ks: Keyset, id: Bytes): boolean {
  for (let i = 0; i < ks.revoked.length; i++) if (equal(ks.revoked[i], id)) return true;
  return false;
}

export function isStale(ks: Keyset, now: number): boolean {
  return now > ks.nextUpdate;
}
