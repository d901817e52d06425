// The conformance entry on Node with the Node target's natives (OpenSSL
// through node:crypto, firmware/targets/node/natives.ts) installed before the
// core loads, as the Linux-class device and `pindai run` have them. A child
// process: in the test's own process the core has loaded without them.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LuaRunner } from "./lua";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DRIVER = fileURLToPath(new URL("./node-natives-driver.ts", import.meta.url));

export function nodeNativesRunner(entry: string): LuaRunner & { opensslCalls?: number } {
  const runner: LuaRunner & { opensslCalls?: number } = {
    name: "Node, OpenSSL natives",
    async callMany(calls) {
      const input = calls.map((c) => c.join("\t")).join("\n") + "\n";
      const r = spawnSync(process.execPath, ["--import", "tsx", DRIVER, entry], { cwd: ROOT, input, encoding: "utf8", maxBuffer: 1 << 28 });
      if (r.status !== 0) throw new Error(`the Node natives driver failed: ${r.stderr}`);
      const all = r.stdout.split("\n");
      const counted = all.find((l) => l.startsWith("OPENSSL_CALLS\t"));
      runner.opensslCalls = counted === undefined ? undefined : Number(counted.slice(14));
      const lines = all.slice(0, calls.length);
      return lines.map((l, i) => {
        const tab = l.indexOf("\t");
        if (l.slice(0, tab) !== "OK") throw new Error(`Node natives: ${calls[i][0]} raised ${l.slice(tab + 1)}`);
        return l.slice(tab + 1);
      });
    },
    close() {},
  };
  return runner;
}
