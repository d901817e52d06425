// pindai keyset: build and sign an issuer key set (SPEC section 4).
import { writeFileSync } from "node:fs";
import { parse, parseHex, parseInteger, parseTime, nowSeconds, required } from "../args";
import { CliError } from "../errors";
import { readKeyFile, requireSecret, unhex, USAGE_BIT, type KeyFile } from "../keyfile";
import { keysetPayload, sign1, type KeyEntry } from "../cose-sign";
import type { Io } from "../cli";

export const keysetHelp = `pindai keyset --root ROOTKEY --version N --key PUBFILE [--key PUBFILE ...] --out keyset.cbor
              [--skew S] [--max-validity S] [--replay off|warn|reject]
              [--revoke HEX ...] [--revoke-card SERIAL ...] [--issued T] [--next-update T]

Signs a key set with a root key. Each --key file (a key file or a public key
file) adds its public key with its usage and validity window. Defaults: skew
30 s, max validity 90 s, replay reject (a code is accepted once per device:
the guard asks for a fresh one), next update 30 days after issue.
--revoke takes a presentation id (cti) in hex; --revoke-card a card serial.`;

const REPLAY: Record<string, number> = { off: 0, warn: 1, reject: 2 };

export function keyset(argv: string[], io: Io): number {
  const { values, positionals } = parse(
    argv,
    {
      root: { type: "string" },
      version: { type: "string" },
      key: { type: "string", multiple: true },
      out: { type: "string", short: "o" },
      skew: { type: "string" },
      "max-validity": { type: "string" },
      replay: { type: "string" },
      revoke: { type: "string", multiple: true },
      "revoke-card": { type: "string", multiple: true },
      issued: { type: "string" },
      "next-update": { type: "string" },
    },
    true,
  );
  if (values.help) return io.help(keysetHelp);
  const rootPath = required(values.root, "root");
  const root = readKeyFile(rootPath);
  if (!root.usage.includes("root")) throw new CliError(`${rootPath} is not a root key (usage ${root.usage.join(",")})`);
  const version = parseInteger(required(values.version, "version"), "version", 1, 2 ** 53 - 1);
  const out = required(values.out, "out");
  const keyFiles = [...(values.key ?? []), ...positionals];
  if (keyFiles.length === 0) throw new CliError("missing --key: a key set needs at least one issuer key");
  const keys: KeyEntry[] = keyFiles.map((path) => entryOf(readKeyFile(path), path));
  const issued = values.issued ? parseTime(values.issued, "issued") : nowSeconds();
  const nextUpdate = values["next-update"] ? parseTime(values["next-update"], "next-update") : issued + 30 * 86400;
  const replayName = values.replay ?? "reject";
  if (!(replayName in REPLAY)) throw new CliError(`--replay: expected off, warn or reject, got "${replayName}"`);
  const revoked = [
    ...(values.revoke ?? []).map((h: string) => parseHex(h, "revoke")),
    ...(values["revoke-card"] ?? []).map((s: string) => new Uint8Array(Buffer.from(s, "utf8"))),
  ];
  const payload = keysetPayload({
    version,
    issued,
    nextUpdate,
    keys,
    revoked,
    policy: {
      skew: values.skew ? parseInteger(values.skew, "skew", 0, 300) : 30,
      maxValidity: values["max-validity"] ? parseInteger(values["max-validity"], "max-validity", 1, 300) : 90,
      replay: REPLAY[replayName],
    },
  });
  const signed = sign1(requireSecret(root, rootPath), unhex(root.kid), payload);
  writeFileSync(out, signed);
  io.out(`wrote ${out}: version ${version}, ${keys.length} key(s), ${revoked.length} revoked, ${signed.length} bytes`);
  return 0;
}

function entryOf(k: KeyFile, path: string): KeyEntry {
  let usage = 0;
  for (const u of k.usage) if (u !== "root") usage |= USAGE_BIT[u];
  if (usage === 0) throw new CliError(`${path}: a root key cannot be an issuer key`);
  return { kid: unhex(k.kid), publicKey: unhex(k.publicKey), nbf: k.nbf, exp: k.exp, usage };
}
