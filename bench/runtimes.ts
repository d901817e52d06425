// The portable core on each runtime: ms per Ed25519 verification (without and
// with the precomputed tables) and per whole QR-text-to-verdict, each call
// timed inside the runtime, so start-up, bundle loading and table making are
// left out. Beside them, on Espruino,
// tweetnacl's nacl-fast.js run the same way, and a profile: field
// multiplications per verification and ms per field multiplication.
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import { buildLuaBundle, nativeRunner, wasmoonRunner, type LuaRunner } from "../test/support/lua";
import { buildEspruinoBundle, espruinoRunner } from "../test/support/espruino";
import { runImageOnPool } from "../test/support/pool-image";
import { HOLDER, makeWorld } from "../sim/world";
import { issuePresentation } from "../host/issuer/issuer";
import { ed } from "../host/issuer/ed";
import { spawnSync } from "node:child_process";
import { table } from "./measure";

type Call = [string, ...string[]];

/**
 * ms per call: each runtime times each call itself (getTime, os.clock or
 * performance.now around it, in one run), and this is the median of n calls
 * after a first one that loads the code and makes the tables.
 */
async function perCall(r: LuaRunner, call: Call, n: number): Promise<number> {
  await r.callMany(Array(n + 1).fill(call));
  const ms = (r.callMs ?? []).slice(1).sort((x, y) => x - y);
  if (ms.length !== n) throw new Error(`bench: ${r.name} gave no timings`);
  return ms[Math.floor(n / 2)];
}

/** Field multiplications per verification, counted in the bundle itself (the count is the same on every runtime). */
async function countMuls(verify: Call, tabled: Call): Promise<[number, number]> {
  const src = readFileSync(await buildEspruinoBundle("test/conformance/core-entry.ts", false), "utf8");
  const counted = src.replace("function mulPortable(r, a, b) {", "function mulPortable(r, a, b) {__muls++;");
  if (counted === src) throw new Error("bench: the field product was not found in the bundle");
  const ctx = vm.createContext({ __muls: 0 });
  vm.runInContext(counted, ctx);
  const run = (c: Call) => {
    ctx.__muls = 0;
    vm.runInContext(`conformance[${JSON.stringify(c[0])}].apply(undefined, ${JSON.stringify(c.slice(1))})`, ctx);
    return ctx.__muls as number;
  };
  const plain = run(verify); // the plain call: no tables handed in
  run(tabled); // makes the tables
  return [plain, run(tabled)];
}

/** tweetnacl's nacl-fast.js as a plain file for Espruino, behind the runner's call surface. */
function naclForEspruino(): string {
  const dir = join(tmpdir(), "pindai-espruino");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "nacl-fast-bench.js");
  const nacl = readFileSync(new URL("../node_modules/tweetnacl/nacl-fast.js", import.meta.url), "utf8");
  writeFileSync(
    file,
    "var self = {};\n" + nacl + "\nvar nacl = self.nacl;\n" +
      "function unhex(s){var b=new Uint8Array(s.length/2);for(var i=0;i<b.length;i++)b[i]=parseInt(s.substr(2*i,2),16);return b;}\n" +
      "var conformance = { ed25519: function(p, m, s) { return nacl.sign.detached.verify(unhex(m), unhex(s), unhex(p)) ? 'OK' : 'BAD'; } };\n",
  );
  return file;
}

/** ms per call of Debian's lua5.4, for the Cortex-M4 rows beside it. */
export interface LuaX86Ms {
  verify: number;
  tabled: number;
  qr: number;
  device: number;
}

export async function benchRuntimes(n = 5): Promise<LuaX86Ms | undefined> {
  const now = 1_800_000_000;
  const w = makeWorld(now, 0, "bench");
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  const secret = ed.utils.randomSecretKey();
  const msg = new Uint8Array(200).fill(7);
  const args = [hex(ed.getPublicKey(secret)), hex(msg), hex(ed.sign(msg, secret))];
  const verifyCall: Call = ["ed25519", ...args];
  const tabledCall: Call = ["ed25519Tabled", ...args];
  const code = issuePresentation(w.qrSigner, HOLDER, { iat: now });
  const qrCall: Call = ["presentation", code, hex(w.keysetBytes), hex(w.roots[0].kid), hex(w.roots[0].publicKey), String(now + 5), "1"];
  const mulCall = (k: number): Call => ["fieldMuls", String(k)];
  const lua = buildLuaBundle("test/conformance/core-entry.ts", "5.4");
  const luaProfile = buildLuaBundle("bench/profile-entry.ts", "5.4");
  const haveLua = spawnSync("sh", ["-c", "command -v lua5.4"]).status === 0;
  const luaNatives = buildLuaBundle("test/conformance/core-entry.ts", "5.4", true);
  const luaNativesProfile = buildLuaBundle("bench/profile-entry.ts", "5.4", true);
  const runners: Array<[string, LuaRunner | undefined, LuaRunner | undefined, number]> = [
    ["lua5.4 (Debian)", haveLua ? nativeRunner("lua5.4", lua) : undefined, haveLua ? nativeRunner("lua5.4", luaProfile) : undefined, n],
    ["lua5.4, Lua natives (the image)", haveLua ? nativeRunner("lua5.4", luaNatives) : undefined, haveLua ? nativeRunner("lua5.4", luaNativesProfile) : undefined, n],
    ["wasmoon (Lua 5.4 in WebAssembly)", await wasmoonRunner(lua), await wasmoonRunner(luaProfile), n],
  ];
  const esp = process.env.ESPRUINO;
  if (esp) {
    // Plain files, minified as the image is (Espruino reads the source as it runs it).
    const bundle = await buildEspruinoBundle("test/conformance/core-entry.ts");
    const profile = await buildEspruinoBundle("bench/profile-entry.ts");
    runners.push([`Espruino (${esp})`, espruinoRunner(esp, bundle), espruinoRunner(esp, profile), 5]);
  }
  const rows: string[][] = [];
  const mulMs: string[][] = [];
  let espVerify = 0;
  let espTabled = 0;
  let luaMs: LuaX86Ms | undefined;
  for (const [name, r, prof, count] of runners) {
    if (!r || !prof) {
      rows.push([name, "not installed", "-", "-", "-", "-"]);
      continue;
    }
    const v = await perCall(r, verifyCall, count);
    const t = await perCall(r, tabledCall, count);
    const q = await perCall(r, qrCall, count);
    const d = await perCall(r, ["presentationOnDevice", ...qrCall.slice(1)] as Call, count);
    rows.push([name, v.toFixed(1), t.toFixed(1), q.toFixed(1), d.toFixed(1), r.peakMemory ?? "-"]);
    const k = 1000;
    const m = ((await perCall(prof, mulCall(k + 1), count)) - (await perCall(prof, mulCall(1), count))) / k;
    mulMs.push([name, m.toFixed(4)]);
    if (name === "lua5.4 (Debian)") luaMs = { verify: v, tabled: t, qr: q, device: d };
    if (name.startsWith("Espruino")) {
      espVerify = v;
      espTabled = t;
    }
  }
  if (!esp) rows.push(["Espruino", "set ESPRUINO=/path/to/espruino", "-", "-", "-", "-"]);
  table(
    "The portable core per runtime, ms (QR to verdict: key set loaded and its root signature checked each call; on a device: loaded at boot, tables made)",
    ["runtime", "Ed25519 verify", "with tables", "QR to verdict", "on a device", "peak memory"],
    rows,
  );
  if (esp) {
    const naclMs = await perCall(espruinoRunner(esp, naclForEspruino()), verifyCall, 3);
    table("Espruino, the same verification as plain files in the same run", ["verifier", "ms", "tweetnacl / this"], [
      ["tweetnacl 1.0.3 nacl-fast.js", naclMs.toFixed(0), "1.0x"],
      ["pindai, no tables", espVerify.toFixed(0), (naclMs / espVerify).toFixed(1) + "x"],
      ["pindai, tables", espTabled.toFixed(0), (naclMs / espTabled).toFixed(1) + "x"],
    ]);
  }
  // On a device: the image as pindai flash leaves it, booted from Storage on a fixed pool.
  const poolBin = process.env.ESPRUINO_POOL;
  if (esp && poolBin) {
    let row: string[];
    try {
      const r = await runImageOnPool(esp, poolBin);
      const ok = r.log.includes("OK qr") && r.log.includes("REPLAYED qr");
      // The image's own samples (test/support/pool-image.ts): the reads through UNLOCK are an interpreter after reset().
      row = [String(r.boot.total), String(r.usage.boot), String(r.usage.provisioned), String(r.usage.scans), ok ? "VALID, then REPLAYED" : r.log.join(", "), JSON.stringify([...r.boot.flags, ...r.after.flags])];
    } catch (e) {
      row = ["-", "-", "-", "-", "did not finish: " + (e as Error).message.slice(0, 200), "-"];
    }
    table(
      "On a device: the flashed Espruino image (Storage, .bootcde) on a fixed variable pool, provisioned, tables made, two scans",
      ["pool", "in use after the first boot", "after KEYSET and TIME", "highest sample during the scans", "verdicts (audit log)", "error flags"],
      [row],
    );
  } else if (esp) {
    console.log("\n(set ESPRUINO_POOL to an Espruino for Linux built 32-bit with a fixed pool, e.g. 8,191 variables, to run the flashed image on it)");
  }
  const [plainMuls, tabledMuls] = await countMuls(verifyCall, tabledCall);
  table("Profile: field multiplications per verification (counted) and ms per multiplication (timed)", ["", "value"], [
    ["field multiplications, no tables", String(plainMuls)],
    ["field multiplications, tables", String(tabledMuls)],
    ...mulMs.map(([name, ms]) => [`ms per multiplication, ${name}`, ms]),
  ]);
  const sizes: string[][] = [];
  for (const [f, what] of [["dist/espruino/pindai.js", "Espruino image"], ["dist/lua/pindai.lua", "Lua image"]]) {
    try {
      sizes.push([what, f, String(statSync(f).size)]);
    } catch {
      sizes.push([what, f, "run npm run build first"]);
    }
  }
  table("Image sizes (bytes)", ["image", "file", "bytes"], sizes);
  return luaMs;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await benchRuntimes(Number(process.argv[2] ?? 5));
