// pindai keygen / pindai pubkey
import { existsSync, statSync } from "node:fs";
import { parse, parseTime, nowSeconds, required, MAX_TIME } from "../args";
import { CliError } from "../../issuer/errors";
import { newKey, readKeyFile, writeKeyFile, USAGES, type Usage } from "../../issuer/keyfile";
import type { Io } from "../cli";

export const keygenHelp = `pindai keygen --usage qr|card|admin|root[,..] --out FILE [--nbf T] [--exp T | --days N] [--force]

Makes an Ed25519 key file (kid, public and secret key, validity window),
written with mode 0600. T is unix seconds or an ISO date. The window is what
\`pindai keyset\` puts in the key set (default: from now for 365 days).
A key with both qr and admin usage is refused without --force: the online
key that signs QR codes could then wipe or unlock every device.`;

/** The warning for a key that signs QR codes and administers devices. */
export const COMBINED_WARNING = "warning: a key with both qr and admin usage lets whoever holds the QR-issuing key (an online service) wipe, unlock and set the clock of every device; keep them apart";

export function keygen(argv: string[], io: Io): number {
  const { values } = parse(argv, {
    usage: { type: "string" },
    out: { type: "string", short: "o" },
    nbf: { type: "string" },
    exp: { type: "string" },
    days: { type: "string" },
    force: { type: "boolean" },
  });
  if (values.help) return io.help(keygenHelp);
  const usage = required(values.usage, "usage").split(",") as Usage[];
  for (const u of usage) if (!USAGES.includes(u)) throw new CliError(`--usage: unknown usage "${u}" (qr, card, admin, root)`);
  if (usage.includes("qr") && usage.includes("admin")) {
    if (!values.force) throw new CliError("--usage: a key with both qr and admin usage could administer every device from the QR issuing service; make two keys, or add --force");
    io.err(COMBINED_WARNING);
  }
  const out = required(values.out, "out");
  if (existsSync(out) && statSync(out).isDirectory()) throw new CliError(`--out: ${out} is a folder; give the key file's name`);
  if (existsSync(out) && !values.force) throw new CliError(`${out} exists; use --force to overwrite a key`);
  const nbf = values.nbf !== undefined ? parseTime(values.nbf, "nbf") : nowSeconds();
  const days = values.days !== undefined ? Number(values.days) : 365;
  if (!(days > 0 && days <= 36500)) throw new CliError("--days: a number of days from 1 to 36500");
  const exp = values.exp !== undefined ? parseTime(values.exp, "exp") : nbf + Math.round(days * 86400);
  if (exp <= nbf) throw new CliError("--exp must be after --nbf");
  if (exp > MAX_TIME) throw new CliError("--days: the key would expire after 2106");
  const key = newKey(usage, nbf, exp);
  const warning = writeKeyFile(out, key);
  if (warning) io.err(warning);
  (out === "-" ? io.err : io.out)(`wrote ${out}: ${usage.join(",")} key, kid ${key.kid}`); // "-": the key went to stdout
  return 0;
}

export const pubkeyHelp = `pindai pubkey FILE [--out PUBFILE]

Prints the 64-hex Ed25519 public key of a key file. With --out, also writes a
public key file (no secret) that can be handed to \`pindai keyset --key\`.`;

export function pubkey(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, { out: { type: "string", short: "o" } }, true);
  if (values.help) return io.help(pubkeyHelp);
  if (positionals.length !== 1) throw new CliError("expected one key file");
  const k = readKeyFile(positionals[0]);
  if (values.out) {
    const pub = { ...k };
    delete pub.secretKey;
    writeKeyFile(values.out, pub); // no secret: no warning
    if (values.out === "-") return 0; // the public key file is the output
  }
  io.out(k.publicKey);
  return 0;
}
