// The portable core on each runtime: ms per Ed25519 verification and per
// whole QR-text-to-verdict, measured as (time of 1 + N calls - time of 1 call) / N
// in one process, so start-up and bundle loading are left out.
import { statSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { buildLuaBundle, nativeRunner, wasmoonRunner, type LuaRunner } from "../test/support/lua";
import { buildEspruinoBundle, espruinoRunner } from "../test/support/espruino";
import { HOLDER, makeWorld } from "../sim/world";
import { issuePresentation } from "../host/src/issuer";
import { ed } from "../host/src/ed";
import { spawnSync } from "node:child_process";
import { table } from "./measure";

type Call = [string, ...string[]];

async function perCall(r: LuaRunner, call: Call, n: number): Promise<number> {
  const t0 = performance.now();
  await r.callMany([call]);
  const one = performance.now() - t0;
  const t1 = performance.now();
  await r.callMany(Array(n + 1).fill(call));
  return (performance.now() - t1 - one) / n;
}

export async function benchRuntimes(n = 5): Promise<void> {
  const now = 1_800_000_000;
  const w = makeWorld(now, 0, "bench");
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  const secret = ed.utils.randomSecretKey();
  const msg = new Uint8Array(200).fill(7);
  const verifyCall: Call = ["ed25519", hex(ed.getPublicKey(secret)), hex(msg), hex(ed.sign(msg, secret))];
  const code = issuePresentation(w.qrSigner, HOLDER, { iat: now });
  const qrCall: Call = ["presentation", code, hex(w.keysetBytes), hex(w.roots[0].kid), hex(w.roots[0].publicKey), String(now + 5), "1"];
  const lua = buildLuaBundle("test/conformance/core-entry.ts", "5.4");
  const runners: Array<[string, LuaRunner | undefined, number]> = [
    ["lua5.4 (Debian)", spawnSync("sh", ["-c", "command -v lua5.4"]).status === 0 ? nativeRunner("lua5.4", lua) : undefined, n],
    ["wasmoon (Lua 5.4 in WebAssembly)", await wasmoonRunner(lua), n],
  ];
  const esp = process.env.ESPRUINO;
  if (esp) runners.push([`Espruino (${esp})`, espruinoRunner(esp, await buildEspruinoBundle("test/conformance/core-entry.ts", false)), 2]);
  const rows: string[][] = [];
  for (const [name, r, count] of runners) {
    if (!r) {
      rows.push([name, "not installed", "-", "-"]);
      continue;
    }
    const v = (await perCall(r, verifyCall, count)).toFixed(1);
    const q = (await perCall(r, qrCall, count)).toFixed(1);
    rows.push([name, v, q, r.peakMemory ?? "-"]);
  }
  if (!esp) rows.push(["Espruino", "set ESPRUINO=/path/to/espruino", "-", "-"]);
  table("The portable core per runtime (ms; key set loading included in QR to verdict)", ["runtime", "Ed25519 verify", "QR to verdict", "peak memory"], rows);
  const sizes: string[][] = [];
  for (const [f, what] of [["dist/espruino/pindai.js", "Espruino image"], ["dist/lua/pindai.lua", "Lua image"]]) {
    try {
      sizes.push([what, f, String(statSync(f).size)]);
    } catch {
      sizes.push([what, f, "run npm run build first"]);
    }
  }
  table("Image sizes (bytes)", ["image", "file", "bytes"], sizes);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await benchRuntimes(Number(process.argv[2] ?? 5));
