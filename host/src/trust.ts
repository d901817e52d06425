// Loading roots and key sets on the host, through the same core code a
// device runs.
import { existsSync, readFileSync } from "node:fs";
import { loadKeyset, type Keyset, type RootKey } from "../../firmware/core/keyset";
import { CliError } from "./errors";
import { kidOf, readKeyFile, unhex } from "./keyfile";

/** A root from 64 hex characters, a key file, or a file holding the hex. */
export function parseRoot(spec: string): RootKey {
  let hexText = spec;
  if (!/^[0-9a-fA-F]{64}$/.test(spec)) {
    if (!existsSync(spec)) throw new CliError(`--root: "${spec}" is neither 64 hex characters nor a file`);
    const text = readFileSync(spec, "utf8").trim();
    if (text.startsWith("{")) {
      const k = readKeyFile(spec);
      return { kid: unhex(k.kid), publicKey: unhex(k.publicKey) };
    }
    hexText = text;
    if (!/^[0-9a-fA-F]{64}$/.test(hexText)) throw new CliError(`--root: ${spec} holds no 64-hex public key`);
  }
  const publicKey = unhex(hexText.toLowerCase());
  return { kid: kidOf(publicKey), publicKey };
}

export type KeysetLoad = { keyset: Keyset } | { keyset: undefined; reason: string };

export function readKeysetFile(path: string, roots: RootKey[]): KeysetLoad {
  let data: Uint8Array;
  try {
    data = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new CliError(`cannot read key set ${path}: ${(e as Error).message}`);
  }
  const r = loadKeyset(data, roots);
  if (!r.ok) return { keyset: undefined, reason: `${r.verdict}: ${r.reason}` };
  return { keyset: r.keyset };
}
