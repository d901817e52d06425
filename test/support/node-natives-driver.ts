// Child of node-natives.ts: installs the Node target's natives, then loads
// the entry (argv[2]) and answers "fn<TAB>arg..." lines with "OK<TAB>result".
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const { OPENSSL_NATIVES } = await import("../../firmware/targets/node/natives");
if ((globalThis as { PINDAI_NATIVES?: unknown }).PINDAI_NATIVES !== OPENSSL_NATIVES) throw new Error("the OpenSSL natives are not installed");
// Counted, so a test sees that verification went through OpenSSL.
let calls = 0;
const openssl = OPENSSL_NATIVES.ed25519Verify!;
OPENSSL_NATIVES.ed25519Verify = (a, m, s) => (calls++, openssl(a, m, s));
const m = (await import(pathToFileURL(resolve(process.argv[2])).href)) as Record<string, (...a: string[]) => string>;
const out: string[] = [];
for (const line of readFileSync(0, "utf8").split("\n")) {
  if (line === "") continue;
  const [fn, ...args] = line.split("\t");
  try {
    out.push("OK\t" + String(m[fn](...args)).replace(/[\r\n]/g, " "));
  } catch (e) {
    out.push("ERR\t" + String(e).replace(/[\r\n]/g, " "));
  }
}
process.stdout.write(out.join("\n") + "\nOPENSSL_CALLS\t" + calls + "\n");
