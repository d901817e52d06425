// The verification core alone, as an Espruino bundle for bench/espruino-pool.ts: a key set
// parsed (its root's signature checked) and a scanned code judged, nothing of the device.
import { loadKeyset, type Keyset } from "../firmware/core/keyset";
import { verifyPresentation } from "../firmware/core/presentation";
import { fromHex } from "../firmware/core/bytes";
import { ReplayCache } from "../firmware/core/replay";

let keyset: Keyset | undefined;
const replay = new ReplayCache(8);

/** Parses and checks the key set (hex) against one root: "OK" or its verdict. */
export function install(hex: string, rootKid: string, rootKey: string): string {
  const r = loadKeyset(fromHex(hex)!, [{ kid: fromHex(rootKid)!, publicKey: fromHex(rootKey)! }]);
  if (!r.ok) return r.verdict;
  keyset = r.keyset;
  return "OK";
}

/** A scanned code's verdict at `now`, against the installed set. */
export function scan(code: string, now: number): string {
  return verifyPresentation(code, keyset, { now, trusted: true }, replay).verdict;
}
