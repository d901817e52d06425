// The Linux-class target's path beside OpenSSL's own, in one process: pindai's
// ed25519Verify with the Node target's natives (firmware/targets/node/natives.ts:
// the core's strict checks, then OpenSSL through node:crypto) and
// crypto.verify on the same key object, messages and signatures. Run by
// bench/ed25519.ts as a child process (the natives must be installed before
// the core loads; the bench's own process runs the portable core):
//   node --import tsx bench/openssl.ts [seconds]
import { OPENSSL_NATIVES } from "../firmware/targets/node/natives";
import { createPublicKey, verify } from "node:crypto";

if ((globalThis as { PINDAI_NATIVES?: unknown }).PINDAI_NATIVES !== OPENSSL_NATIVES) throw new Error("the OpenSSL natives are not installed");
const { ed25519Verify } = await import("../firmware/core/ed25519");
const { verifyPresentation } = await import("../firmware/core/presentation");
const { ReplayCache } = await import("../firmware/core/replay");
const { T0, keysetOf, makeKey, present } = await import("../test/support/fixtures");
const { ed } = await import("../host/issuer/ed");
const { timeIt, table } = await import("./measure");

const seconds = Number(process.argv[2] ?? "1");
const secret = ed.utils.randomSecretKey();
const pub = ed.getPublicKey(secret);
const key = createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), pub]), format: "der", type: "spki" });
const msgs = Array.from({ length: 16 }, (_, i) => new Uint8Array(200).fill(i));
const sigs = msgs.map((m) => ed.sign(m, secret));
let i = 0;
const next = () => (i = (i + 1) % msgs.length);
const pindai = () => {
  next();
  if (ed25519Verify(pub, msgs[i], sigs[i]) !== "OK") throw new Error("pindai verify failed");
};
const openssl = () => {
  next();
  if (!verify(null, msgs[i], key, sigs[i])) throw new Error("crypto.verify failed");
};
// Alternated, so both see the same machine load; the medians of 9 rounds.
const a: number[] = [];
const b: number[] = [];
for (let r = 0; r < 9; r++) {
  a.push(timeIt(seconds / 9, pindai));
  b.push(timeIt(seconds / 9, openssl));
}
const median = (x: number[]) => x.slice().sort((p, q) => p - q)[Math.floor(x.length / 2)];
const mine = median(a);
const theirs = median(b);

const root = makeKey(["root"]);
const issuer = makeKey(["qr"]);
const ks = keysetOf(root, [issuer], { replay: 0 });
const text = present(issuer);
const whole = timeIt(seconds, () => {
  const v = verifyPresentation(text, ks, { now: T0 + 10, trusted: true }, new ReplayCache(4));
  if (v.verdict !== "OK") throw new Error("presentation did not verify: " + v.verdict);
});
table(
  `The Linux-class device: Ed25519 verify through OpenSSL ${process.versions.openssl} (node:crypto), 200-byte message, same run`,
  ["verifier", "ms/verify", "vs OpenSSL"],
  [
    ["pindai, OpenSSL natives (core's strict checks, then crypto.verify)", mine.toFixed(4), (mine / theirs).toFixed(2) + "x"],
    ["crypto.verify alone (OpenSSL's own time, key object made once)", theirs.toFixed(4), "1.00x"],
    [`QR text to verdict, OpenSSL natives (${text.length}-character PD1: code)`, whole.toFixed(4), "-"],
  ],
);
