// npm start: the main job of pindai in one scripted run, no hardware.
// An issuer makes a 90-second QR, it is rendered as a PNG, read back by the
// camera decoder (jsqr) and verified by the same core the devices run; then
// the same code two minutes later, and a one-bit-tampered copy.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import { verifyPresentation, type Outcome } from "../firmware/core/presentation";
import { ReplayCache } from "../firmware/core/replay";
import { loadKeyset } from "../firmware/core/keyset";
import { base45Decode, base45Encode } from "../firmware/core/base45";
import { keysetPayload, sign1 } from "../host/src/cose-sign";
import { newKey, unhex, USAGE_BIT } from "../host/src/keyfile";
import { issuePresentation } from "../host/src/issuer";
import { decodeQr, qrPng } from "../host/src/qr-image";
import { toText } from "../host/src/commands/verify";

const OUT = process.env.PINDAI_DEMO_OUT ?? "sim-out";
const say = (s: string) => console.log(s);
const step = (n: number, s: string) => say(`\n== ${n}. ${s}`);
const show = (r: Outcome) => say(toText(r).split("\n").map((l) => "   | " + l).join("\n"));

async function main(): Promise<number> {
  mkdirSync(OUT, { recursive: true });
  const now = Math.floor(Date.now() / 1000);

  step(1, "An agency makes its root of trust and an issuer key, and signs a key set");
  const root = newKey(["root"], now - 60, now + 365 * 86400);
  const issuer = newKey(["qr"], now - 60, now + 365 * 86400);
  const ksBytes = sign1(
    unhex(root.secretKey!),
    unhex(root.kid),
    keysetPayload({
      version: 1,
      issued: now,
      nextUpdate: now + 30 * 86400,
      keys: [{ kid: unhex(issuer.kid), publicKey: unhex(issuer.publicKey), nbf: issuer.nbf, exp: issuer.exp, usage: USAGE_BIT.qr }],
      revoked: [],
      policy: { skew: 30, maxValidity: 90, replay: 1 },
    }),
  );
  const loaded = loadKeyset(ksBytes, [{ kid: unhex(root.kid), publicKey: unhex(root.publicKey) }]);
  if (!loaded.ok) throw new Error("demo key set did not load: " + loaded.reason);
  const keyset = loaded.keyset;
  say(`   root kid ${root.kid}, issuer kid ${issuer.kid}, key set ${ksBytes.length} bytes, verified against the root`);

  step(2, "The holder's phone shows a fresh presentation, valid for 90 seconds");
  const text = issuePresentation(
    { secretKey: unhex(issuer.secretKey!), kid: unhex(issuer.kid) },
    { nik: "3201014512900001", name: "Siti Aminah", dob: "1990-12-05", sex: "P", pob: "Bogor" },
    { iat: now, ttl: 90 },
  );
  const pngPath = join(OUT, "presentation.png");
  writeFileSync(pngPath, await qrPng(text));
  say(`   ${text.slice(0, 60)}... (${text.length} characters) -> ${pngPath}`);

  step(3, "The verifier's camera reads the QR (jsqr) and checks it offline");
  const png = PNG.sync.read(await qrPng(text));
  const scanned = decodeQr({ width: png.width, height: png.height, rgba: new Uint8ClampedArray(png.data) });
  if (scanned !== text) throw new Error("the QR did not read back");
  const device = new ReplayCache(64);
  const t0 = performance.now();
  const first = verifyPresentation(scanned, keyset, { now: now + 5, trusted: true }, device);
  say(`   verified in ${(performance.now() - t0).toFixed(1)} ms:`);
  show(first);

  step(4, "The same code, two minutes later");
  show(verifyPresentation(scanned, keyset, { now: now + 120, trusted: true }, device));

  step(5, "A copy with one bit changed");
  const raw = base45Decode(scanned.slice(4));
  if (!raw.ok) throw new Error("demo code did not decode");
  raw.bytes[raw.bytes.length - 1] ^= 1;
  show(verifyPresentation("PD1:" + base45Encode(raw.bytes), keyset, { now: now + 5, trusted: true }, device));

  step(6, "A device whose clock was never set refuses to say OK");
  show(verifyPresentation(scanned, keyset, { now: 0, trusted: false }, new ReplayCache(4)));

  const ok = first.verdict === "OK";
  say(ok ? "\nDemo complete." : "\nDemo FAILED: a fresh code was not accepted.");
  return ok ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error("demo failed:", e);
    process.exitCode = 1;
  },
);
