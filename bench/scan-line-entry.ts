// What a scanned line costs before any signature work, beside a verification, on each
// runtime (bench/scan-line.ts): the cheap look (core/triage.ts), a flood line (app/scan-queue.ts
// push during a flood: its tail hashed, the rings searched) and a whole line's hash.
import { triage } from "../firmware/core/triage";
import { ScanQueue } from "../firmware/app/scan-queue";
import { keysetFrom } from "../test/conformance/verifier-entry";
export { presentationScan } from "../test/conformance/verifier-entry";
let ks: ReturnType<typeof keysetFrom> | undefined = undefined;
const q = new ScanQueue({ setTimeout: () => 0, clearTimeout: () => {}, millis: () => 0 }, () => {}, () => 0, 4);
export function look(text: string, ksHex: string, rootKid: string, rootPub: string, now: string): string {
  if (ks === undefined) ks = keysetFrom(ksHex, rootKid, rootPub);
  return String(triage(text, ks, { now: Math.floor(Number(now)), trusted: true }));
}
export function hashLine(text: string): string {
  return String(q.hashOf(text));
}
let fq: ScanQueue | undefined = undefined;
let n = 0;
const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
function variant(text: string): string {
  n++;
  let k = n;
  let tail = "";
  for (let i = 0; i < 4; i++) {
    tail += B45.charAt(k % 45);
    k = Math.floor(k / 45);
  }
  return text.substring(0, text.length - 4) + tail;
}
/** One fresh line pushed during a flood, the seen ring full (what each flood line costs). */
export function floodLine(text: string): string {
  if (fq === undefined) {
    fq = new ScanQueue({ setTimeout: () => 0, clearTimeout: () => {}, millis: () => 0 }, () => {}, () => 2, 4);
    for (let i = 0; i < 200; i++) fq.push(variant(text));
  }
  fq.push(variant(text));
  return fq.flooding ? "F" : "-";
}
export { ed25519 } from "../test/conformance/verifier-entry";
