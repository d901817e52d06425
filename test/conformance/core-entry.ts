// The verification core behind a string-in, string-out surface, compiled to
// Lua by test/core-lua.test.ts so the same vectors run on Node and in the
// Lua VM and must give the same answers.
import { alloc, concat, toHex } from "../../firmware/core/bytes";
import { makeBaseTable } from "../../firmware/core/ed25519-table-make";
import { sha512 } from "../../firmware/core/sha512";
import { kidOf, sha256 } from "../../firmware/core/sha256";
import { hmacSha512 } from "../../firmware/core/hmac";
import { utf8Decode, utf8Encode } from "../../firmware/core/bytes";
import { displayText } from "../../firmware/app/display-text";
import { base45Decode } from "../../firmware/core/base45";
import { cborDecode } from "../../firmware/core/cbor";
import { loadKeyset } from "../../firmware/core/keyset";
import { verifyCard } from "../../firmware/core/card";
import { ed25519PublicKey, ed25519Sign } from "../../firmware/core/ed25519-sign";
import { triage } from "../../firmware/core/triage";
import { ensureBaseTable, hex, keysetFrom } from "./verifier-entry";

export { ed25519, ed25519Tabled, presentation, presentationOnDevice, presentationScan } from "./verifier-entry";

/** The device key: its public key, its kid, and a signature (RFC 8032, deterministic). */
export function deviceSign(seed: string, msg: string): string {
  const pub = ed25519PublicKey(hex(seed));
  return toHex(pub) + " " + toHex(kidOf(pub)) + " " + toHex(ed25519Sign(hex(seed), pub, hex(msg)));
}

export function sha512Hex(msg: string): string {
  return toHex(sha512(hex(msg)));
}

export function sha256Hex(msg: string): string {
  return toHex(sha256(hex(msg)));
}

/** The kid of a public key (SPEC 4), and whether a key set loads: "ok" or its verdict and reason. */
export function kidHex(pub: string): string {
  return toHex(kidOf(hex(pub)));
}

export function keysetLoad(ksHex: string, rootKid: string, rootPub: string): string {
  const r = loadKeyset(hex(ksHex), [{ kid: hex(rootKid), publicKey: hex(rootPub) }]);
  return r.ok ? "ok" : r.verdict + ": " + r.reason;
}

export function hmacSha512Hex(key: string, msg: string): string {
  return toHex(hmacSha512(hex(key), hex(msg)));
}

/** A credential's text as the screen shows it, in and out as UTF-8 hex (so every runtime sees the same bytes). */
export function displayTextHex(utf8: string, maxChars: string): string {
  const s = utf8Decode(hex(utf8));
  return s === undefined ? "error" : toHex(utf8Encode(displayText(s, Math.floor(Number(maxChars)))));
}

export function base45(text: string): string {
  const r = base45Decode(text);
  return r.ok ? toHex(r.bytes) : "error:" + r.error;
}

export function cbor(data: string): string {
  const r = cborDecode(hex(data));
  return r.ok ? "ok" : "error:" + r.error;
}

/** The rank core/triage.ts gives a scanned line (the scan queue's order). */
export function triageRank(text: string, ksHex: string, rootKid: string, rootPub: string, now: string, trusted: string): string {
  return String(triage(text, keysetFrom(ksHex, rootKid, rootPub), { now: Math.floor(Number(now)), trusted: trusted === "1" }));
}

export function card(cred: string, challenge: string, sig: string, ksHex: string, rootKid: string, rootPub: string, now: string): string {
  const ks = keysetFrom(ksHex, rootKid, rootPub);
  const r = verifyCard({ credential: hex(cred), challenge: hex(challenge), signature: hex(sig) }, ks, {
    now: Math.floor(Number(now)),
    trusted: true,
  });
  return r.verdict + (r.sub !== undefined ? "|" + r.sub : "");
}

// --- PN532 frames (firmware/reader) ---------------------------------------
import { FrameParser, commandFrame } from "../../firmware/reader/pn532/frame";

export function pn532Command(cmd: string, data: string): string {
  return toHex(commandFrame(Math.floor(Number(cmd)), hex(data)));
}

/** Feed hex chunks separated by "," to a parser; the events it gives, joined by ",". */
export function pn532Parse(chunks: string): string {
  let out = "";
  const p = new FrameParser((ev) => {
    out += (out === "" ? "" : ",") + (ev.type === "frame" ? "frame:" + toHex(ev.body) : ev.type);
  });
  let start = 0;
  for (let i = 0; i <= chunks.length; i++) {
    if (i === chunks.length || chunks.charCodeAt(i) === 44) {
      p.push(hex(chunks.substring(start, i)));
      start = i + 1;
    }
  }
  return out;
}

export function baseTableDigest(): string {
  return toHex(sha512(concat(makeBaseTable())));
}

// --- GF(2^255 - 19) (firmware/core/field25519.ts, or a target's natives) ----
import { fe, add, sub, mul, sqr, inv, pack, unpack } from "../../firmware/core/field25519";

/**
 * For 32-byte a and b (top bit ignored): a*b, a^2, a+b, a-b, 1/a and
 * (a + a + b + b)(a - b - b - b), the widest sums the curve formulas feed a
 * product, each as canonical bytes joined by "|".
 */
export function fieldOps(aHex: string, bHex: string): string {
  const a = fe();
  const b = fe();
  unpack(a, hex(aHex));
  unpack(b, hex(bHex));
  const r = fe();
  const s = fe();
  const o = alloc(32);
  const out: string[] = [];
  const put = (x: typeof r) => {
    pack(o, x);
    out.push(toHex(o));
  };
  mul(r, a, b);
  put(r);
  sqr(r, a);
  put(r);
  add(r, a, b);
  put(r);
  sub(r, a, b);
  put(r);
  inv(r, a);
  put(r);
  add(r, a, a);
  add(r, r, b);
  add(r, r, b);
  sub(s, a, b);
  sub(s, s, b);
  sub(s, s, b);
  mul(r, r, s);
  put(r);
  return out.join("|");
}
