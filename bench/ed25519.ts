// Ed25519 verification: pindai's portable verifier beside the references, in
// the same process, on the same messages.
import nacl from "tweetnacl";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ed } from "../host/issuer/ed";
import { ed25519Verify } from "../firmware/core/ed25519";
import { makeBaseTable, makeKeyTable } from "../firmware/core/ed25519-table-make";
import { verifyPresentation } from "../firmware/core/presentation";
import { ReplayCache } from "../firmware/core/replay";
import { T0, keysetOf, makeKey, present } from "../test/support/fixtures";
import { timeIt, table } from "./measure";

export function benchEd25519(seconds: number): void {
  const secret = ed.utils.randomSecretKey();
  const pub = ed.getPublicKey(secret);
  const msgs = Array.from({ length: 16 }, (_, i) => new Uint8Array(200).fill(i));
  const sigs = msgs.map((m) => ed.sign(m, secret));
  const tables = { base: makeBaseTable(), key: makeKeyTable(pub)! };
  let i = 0;
  const next = () => (i = (i + 1) % msgs.length);
  const rows = [
    ["pindai portable (firmware/core/ed25519.ts)", timeIt(seconds, () => {
      next();
      if (ed25519Verify(pub, msgs[i], sigs[i]) !== "OK") throw new Error("pindai verify failed");
    })],
    ["pindai with tables (base point's and key's, made once)", timeIt(seconds, () => {
      next();
      if (ed25519Verify(pub, msgs[i], sigs[i], tables) !== "OK") throw new Error("pindai verify failed");
    })],
    ["@noble/ed25519 (BigInt, zip215: false)", timeIt(seconds, () => {
      next();
      if (!ed.verify(sigs[i], msgs[i], pub, { zip215: false })) throw new Error("noble verify failed");
    })],
    ["tweetnacl 1.0.3 (nacl-fast)", timeIt(seconds, () => {
      next();
      if (!nacl.sign.detached.verify(msgs[i], sigs[i], pub)) throw new Error("tweetnacl verify failed");
    })],
  ] as const;
  const noble = rows[2][1];
  table(
    "Ed25519 verify, 200-byte message, warmed, one core (Node " + process.version + ")",
    ["verifier", "ms/verify", "vs noble"],
    rows.map(([name, ms]) => [name, ms.toFixed(3), (ms / noble).toFixed(2) + "x"]),
  );

  const root = makeKey(["root"]);
  const issuer = makeKey(["qr"]);
  const ks = keysetOf(root, [issuer], { replay: 0 });
  const text = present(issuer);
  const whole = timeIt(seconds, () => {
    const r = verifyPresentation(text, ks, { now: T0 + 10, trusted: true }, new ReplayCache(4));
    if (r.verdict !== "OK") throw new Error("presentation did not verify: " + r.verdict);
  });
  table("QR text to verdict (Base45, CBOR, COSE, Ed25519, claims, policy)", ["path", "ms"], [
    [`${text.length}-character PD1: code, portable core`, whole.toFixed(3)],
  ]);
  benchOpenSsl(seconds);
}

/** The Node target with its OpenSSL natives beside crypto.verify (bench/openssl.ts, a child: the natives load before the core). */
function benchOpenSsl(seconds: number): void {
  const script = fileURLToPath(new URL("./openssl.ts", import.meta.url));
  const r = spawnSync(process.execPath, ["--import", "tsx", script, String(Math.max(seconds, 1))], { stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) throw new Error("bench/openssl.ts failed (" + (r.status ?? r.signal) + ")");
}
