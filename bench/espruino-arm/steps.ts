// Where a device scan's instructions go on Espruino for ARM: the scan once,
// then each of its steps alone (scan-steps-entry.ts), counted under qemu-arm
// (run.ts), with the native kernel (or without: --portable).
// ESPRUINO_ARM=... npx tsx bench/espruino-arm/steps.ts
import { fileURLToPath } from "node:url";
import { buildEspruinoBundle } from "../../test/support/espruino";
import { kernelPrelude } from "../../host/build/espruino-kernel";
import { modelCalls } from "../cortex-m";
import { runOnArm, type Call } from "./run";

export const STEPS: [string, string][] = [
  ["scan", "a device scan (tables made at boot), again"],
  ["stepBase45", "Base45 of the QR text"],
  ["stepCose", "CBOR and COSE_Sign1 decoding"],
  ["stepSigner", "the signer's key found and the signature verified (checkSigner)"],
  ["stepVerify", "ed25519Verify with tables"],
  ["stepSigStructure", "Sig_structure built"],
  ["stepChecks", "S < L and R canonical"],
  ["stepConcat", "R || A || M"],
  ["stepSha512", "SHA-512 of R || A || M"],
  ["stepReduce", "mod L"],
  ["stepTableMul", "the table product [S]B - [k]A"],
  ["stepEncode", "the table product and R' encoded"],
  ["stepClaims", "the claims parsed"],
  ["stepCborPayload", "CBOR of the payload alone"],
  ["stepMapGet", "CBOR of the payload and one mapGet"],
  ["stepIdentity", "CBOR of the payload and the identity map checked"],
  ["stepFindKey", "the signer's key found by kid"],
];

export async function scanSteps(bin: string, kernel: boolean): Promise<[string, number][]> {
  const bundle = await buildEspruinoBundle("bench/espruino-arm/scan-steps-entry.ts");
  const d = modelCalls().device;
  const calls: Call[] = [["prepare", ...d.slice(1)], ...STEPS.map(([f]): Call => [f])];
  const r = runOnArm(bin, bundle, calls, kernel ? kernelPrelude() : "");
  if (r[0].result.startsWith("ERR")) throw new Error("prepare: " + r[0].result);
  return STEPS.map(([, what], i) => {
    if (r[i + 1].result.startsWith("ERR") || r[i + 1].result === "false") throw new Error(what + ": " + r[i + 1].result);
    return [what, r[i + 1].instructions];
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bin = process.env.ESPRUINO_ARM;
  if (!bin) throw new Error("set ESPRUINO_ARM");
  for (const [what, n] of await scanSteps(bin, !process.argv.includes("--portable"))) console.log((n / 1e6).toFixed(2).padStart(8), "M ", what);
}
