// ISO/IEC 7816-4 short APDUs: command = CLA INS P1 P2 [Lc data] [Le],
// response = data SW1 SW2 (section 5.1). Status words become named errors.
import { type Bytes, alloc, bytesOf, concat, slice } from "../core/bytes";

export function apdu(cla: number, ins: number, p1: number, p2: number, data: Bytes | undefined, le: number | undefined): Bytes {
  const head = bytesOf([cla, ins, p1, p2]);
  const parts = [head];
  if (data !== undefined && data.length > 0) {
    parts.push(bytesOf([data.length]));
    parts.push(data);
  }
  if (le !== undefined) parts.push(bytesOf([le & 0xff])); // 0 means 256
  return concat(parts);
}

export type SwError =
  | "SHORT_RESPONSE" // fewer than 2 bytes: no status word
  | "WRONG_LENGTH" // 67 00
  | "SECURITY_NOT_SATISFIED" // 69 82
  | "FILE_NOT_FOUND" // 6A 82 (also an unknown applet)
  | "WRONG_PARAMETERS" // 6A 86, 6B 00 (offset beyond the file)
  | "INS_NOT_SUPPORTED" // 6D 00
  | "CLA_NOT_SUPPORTED" // 6E 00
  | "CARD_ERROR_SW"; // anything else that is not 90 00

export type ApduResult = { ok: true; data: Bytes; sw: number } | { ok: false; error: SwError; sw: number };

export function parseResponse(r: Bytes): ApduResult {
  if (r.length < 2) return { ok: false, error: "SHORT_RESPONSE", sw: 0 };
  const sw = r[r.length - 2] * 256 + r[r.length - 1];
  if (sw === 0x9000) return { ok: true, data: slice(r, 0, r.length - 2), sw };
  return { ok: false, error: swError(sw), sw };
}

export function swError(sw: number): SwError {
  if (sw === 0x6700) return "WRONG_LENGTH";
  if (sw === 0x6982) return "SECURITY_NOT_SATISFIED";
  if (sw === 0x6a82) return "FILE_NOT_FOUND";
  if (sw === 0x6a86 || sw === 0x6b00) return "WRONG_PARAMETERS";
  if (sw === 0x6d00) return "INS_NOT_SUPPORTED";
  if (sw === 0x6e00) return "CLA_NOT_SUPPORTED";
  return "CARD_ERROR_SW";
}

export const EMPTY: Bytes = alloc(0);
