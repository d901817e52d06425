// pindai keyset: build and sign an issuer key set (SPEC section 4).
import { parse, parseHex, parseInteger, parseTime, nowSeconds, required } from "../args";
import { CliError } from "../../issuer/errors";
import { hex, readKeyFile, requireSecret, unhex, USAGE_BIT, type KeyFile } from "../../issuer/keyfile";
import { COMBINED_WARNING } from "./keys";
import { keysetPayload, sign1, type KeyEntry } from "../../issuer/cose-sign";
import { writeOutput } from "../../issuer/files";
import {
  MAX_KEYSET_BYTES, MAX_KEYS, MAX_REVOKED, MAX_SKEW, MAX_VALIDITY, MIN_CTI_BYTES, MAX_CTI_BYTES, MAX_SERIAL_CHARS,
} from "../../../firmware/core/limits";
import { KEYSET_POLICY, KEYSET_UPDATE_DAYS, REPLAY_NAMES, replayCode } from "../../../firmware/core/policy";
import type { Io } from "../cli";

export const keysetHelp = `pindai keyset --root ROOTKEY --version N --key PUBFILE [--key PUBFILE ...] --out keyset.cbor
              [--skew S] [--max-validity S] [--replay off|warn|reject]
              [--revoke HEX ...] [--revoke-card SERIAL ...] [--issued T] [--next-update T]
              [--allow-future] [--force]

Signs a key set with a root key. Each --key file (a key file or a public key
file) adds its public key with its usage and validity window. Defaults: skew
${KEYSET_POLICY.skew} s, max validity ${KEYSET_POLICY.maxValidity} s, replay ${REPLAY_NAMES[KEYSET_POLICY.replay]} (a code is accepted once per device:
the guard asks for a fresh one), next update ${KEYSET_UPDATE_DAYS} days after issue.
--revoke takes a presentation id (cti) in hex; --revoke-card a card serial.
Limits (a device refuses more): ${MAX_KEYS} keys, ${MAX_REVOKED} revocations,
${MAX_KEYSET_BYTES} bytes signed, skew 0-${MAX_SKEW} s, max validity 1-${MAX_VALIDITY} s.
A device with a trusted clock refuses a set issued after its time plus the
skew: --issued later than now needs --allow-future (a set made early for a
rotation). A key with both qr and admin usage needs --force.`;

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
      "allow-future": { type: "boolean" },
      force: { type: "boolean" },
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
  if (keyFiles.length > MAX_KEYS) throw new CliError(`${keyFiles.length} keys: a key set holds at most ${MAX_KEYS}`);
  const keys: KeyEntry[] = keyFiles.map((path) => entryOf(readKeyFile(path), path));
  const combined = keys.filter((k) => (k.usage & USAGE_BIT.qr) !== 0 && (k.usage & USAGE_BIT.admin) !== 0);
  if (combined.length > 0) {
    if (!values.force) throw new CliError(`key ${hex(combined[0].kid)} has both qr and admin usage: the QR issuing service could administer every device; use two keys, or add --force`);
    io.err(COMBINED_WARNING);
  }
  const issued = values.issued ? parseTime(values.issued, "issued") : nowSeconds();
  const skew = values.skew ? parseInteger(values.skew, "skew", 0, MAX_SKEW) : KEYSET_POLICY.skew;
  if (issued > nowSeconds() + skew) {
    if (!values["allow-future"]) {
      throw new CliError(`--issued ${new Date(issued * 1000).toISOString()} is in the future: a device with a trusted clock refuses it until then, and one without a trusted clock takes nothing from its date; check this computer's clock, or add --allow-future (a set made early for a rotation)`);
    }
    io.err(`warning: the key set is issued ${Math.round((issued - nowSeconds()) / 60)} minutes in the future: devices with a trusted clock refuse it until then`);
  }
  const nextUpdate = values["next-update"] ? parseTime(values["next-update"], "next-update") : issued + KEYSET_UPDATE_DAYS * 86400;
  if (nextUpdate <= issued) throw new CliError("--next-update must be after --issued");
  const replayName = values.replay ?? REPLAY_NAMES[KEYSET_POLICY.replay];
  if (replayCode(replayName) < 0) throw new CliError(`--replay: expected off, warn or reject, got "${replayName}"`);
  const revoked = [
    ...(values.revoke ?? []).map((h: string) => revokedCti(h)),
    ...(values["revoke-card"] ?? []).map((s: string) => revokedSerial(s)),
  ];
  if (revoked.length > MAX_REVOKED) throw new CliError(`${revoked.length} revocations: a key set holds at most ${MAX_REVOKED}`);
  const payload = keysetPayload({
    version,
    issued,
    nextUpdate,
    keys,
    revoked,
    policy: {
      skew,
      maxValidity: values["max-validity"] ? parseInteger(values["max-validity"], "max-validity", 1, MAX_VALIDITY) : KEYSET_POLICY.maxValidity,
      replay: replayCode(replayName),
    },
  });
  const signed = sign1(requireSecret(root, rootPath), unhex(root.kid), payload);
  if (signed.length > MAX_KEYSET_BYTES) {
    throw new CliError(`the signed key set would be ${signed.length} bytes; a device loads at most ${MAX_KEYSET_BYTES} (fewer keys or revocations)`);
  }
  writeOutput(out, signed, "key set");
  (out === "-" ? io.err : io.out)(`wrote ${out}: version ${version}, ${keys.length} key(s), ${revoked.length} revoked, ${signed.length} bytes`);
  return 0;
}

/** A presentation id as issue makes it (MIN_CTI_BYTES..MAX_CTI_BYTES): any other length could never match. */
function revokedCti(h: string): Uint8Array {
  const b = parseHex(h, "revoke");
  if (b.length < MIN_CTI_BYTES || b.length > MAX_CTI_BYTES) throw new CliError(`--revoke: a presentation id is ${MIN_CTI_BYTES} to ${MAX_CTI_BYTES} bytes of hex, got ${b.length}`);
  return b;
}

function revokedSerial(s: string): Uint8Array {
  if (s.length < 1 || s.length > MAX_SERIAL_CHARS) throw new CliError(`--revoke-card: a card serial is 1 to ${MAX_SERIAL_CHARS} characters`);
  return new Uint8Array(Buffer.from(s, "utf8"));
}

function entryOf(k: KeyFile, path: string): KeyEntry {
  let usage = 0;
  for (const u of k.usage) if (u !== "root") usage |= USAGE_BIT[u];
  if (usage === 0) throw new CliError(`${path}: a root key cannot be an issuer key`);
  return { kid: unhex(k.kid), publicKey: unhex(k.publicKey), nbf: k.nbf, exp: k.exp, usage };
}
