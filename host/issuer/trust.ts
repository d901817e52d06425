// Loading roots and key sets on the host, through the same core code a
// device runs.
import { existsSync } from "node:fs";
import { loadKeyset, MAX_KEYSET_BYTES, type Keyset, type RootKey } from "../../firmware/core/keyset";
import { CliError } from "./errors";
import { readBounded, readBoundedText } from "./files";
import { kidOf, readKeyFile, unhex, MAX_KEY_FILE_BYTES } from "./keyfile";

/** A root from 64 hex characters, a key file, or a file holding the hex. */
export function parseRoot(spec: string): RootKey {
  let hexText = spec;
  if (!/^[0-9a-fA-F]{64}$/.test(spec)) {
    if (!existsSync(spec)) throw new CliError(`--root: "${spec}" is neither 64 hex characters nor a file`);
    const text = readBoundedText(spec, "root", MAX_KEY_FILE_BYTES).trim();
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

/**
 * The key set in a file, checked against the roots as a device would. A key
 * set that a device would not install is an input error (exit 2), not a
 * verdict: the command cannot say anything about a code without one.
 */
export function readKeysetFile(path: string, roots: RootKey[]): Keyset {
  const data = new Uint8Array(readBounded(path, "key set", MAX_KEYSET_BYTES));
  const r = loadKeyset(data, roots);
  if (!r.ok) throw new CliError(`key set ${path} is not usable with the given --root: ${r.reason} (${r.verdict})`);
  return r.keyset;
}
