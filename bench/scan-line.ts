// What a scanned line costs before any signature work, beside a verification
// (issue 21, finding 10; test/scan-flood.test.ts takes its model costs from
// these ratios): in lua5.4 and lua5.3 with the Lua natives, against a scan
// without tables; on Espruino for Linux (ESPRUINO names it), against a
// portable verification, whose ARM instruction count is known (README). Each
// runtime times each call itself; medians.
//   npx tsx bench/scan-line.ts
import { buildLuaBundle, nativeRunner, type LuaRunner } from "../test/support/lua";
import { buildEspruinoBundle, espruinoRunner } from "../test/support/espruino";
import { HOLDER, makeWorld } from "../sim/world";
import { issuePresentation } from "../host/issuer/issuer";
import { ed } from "../host/issuer/ed";
import { haveTool } from "../test/support/tools";

const now = 1_800_000_000;
const w = makeWorld(now, 1);
const forged = issuePresentation({ secretKey: ed.utils.randomSecretKey(), kid: w.qrSigner.kid }, HOLDER, { iat: now });
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const ks = hex(w.keysetBytes);
const root = [hex(w.roots[0].kid), hex(w.roots[0].publicKey)];
const ENTRY = "bench/scan-line-entry.ts";

async function median(r: Pick<LuaRunner, "callMany" | "callMs">, call: [string, ...string[]], n: number): Promise<number> {
  await r.callMany(Array(n + 1).fill(call));
  const ms = (r.callMs ?? []).slice(1).sort((a, b) => a - b);
  return ms[Math.floor(n / 2)];
}

const pct = (a: number, b: number) => ((100 * a) / b).toFixed(3) + " %";
console.log(`a forged line of ${forged.length} characters`);
for (const lua of ["lua5.4", "lua5.3"]) {
  if (!haveTool(lua)) continue;
  const r = nativeRunner(lua, buildLuaBundle(ENTRY, lua.slice(3), true));
  const look = await median(r, ["look", forged, ks, ...root, String(now)], 41);
  const flood = await median(r, ["floodLine", forged], 201);
  const scan = await median(r, ["presentationScan", forged, ks, ...root, String(now), "1"], 7);
  console.log(`${lua}, Lua natives: look ${look.toFixed(3)} ms (${pct(look, scan)} of a scan), flood line ${flood.toFixed(4)} ms (${pct(flood, scan)}), scan ${scan.toFixed(2)} ms`);
}
const esp = process.env.ESPRUINO;
if (esp !== undefined) {
  const r = espruinoRunner(esp, await buildEspruinoBundle(ENTRY, false));
  const sk = ed.utils.randomSecretKey();
  const msg = new Uint8Array(32).fill(5);
  const flood = await median(r, ["floodLine", forged], 201);
  const look = await median(r, ["look", forged, ks, ...root, String(now)], 21);
  const verify = await median(r, ["ed25519", hex(ed.getPublicKey(sk)), hex(msg), hex(ed.sign(msg, sk))], 3);
  console.log(`Espruino (${esp}), portable: look ${look.toFixed(2)} ms (${pct(look, verify)} of a verification), flood line ${flood.toFixed(3)} ms (${pct(flood, verify)}), verification ${verify.toFixed(0)} ms`);
} else console.log("Espruino: ESPRUINO not set, not measured");
