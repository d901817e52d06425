// pindai card personalize | read
import { parse, parseTime, nowSeconds, required } from "../args";
import { CliError } from "../errors";
import { ed } from "../ed";
import { readKeyFile, requireSecret, unhex } from "../keyfile";
import { issueCardCredential } from "../issuer";
import { writeCardImage } from "../card-image";
import { IDENTITY_OPTIONS, identityFromOptions } from "./issue";
import type { Io } from "../cli";

export const cardHelp = `pindai card personalize --key ISSUERKEY --serial S --nik N --name S --dob YYYY-MM-DD --sex L|P
                        [--pob S] [--iss NAME] [--iat T] [--exp T | --years N] --out card.json
pindai card read --port PATH [--root HEX|FILE --keyset FILE] [--timeout MS] [--json]

personalize makes a card image: the credential file (signed with a card-usage
key) and a fresh card key pair, for the PN532 emulator or a card writer.
read drives a PN532 on a serial port (or the emulator's pty), reads the card
and, given a root and key set, prints its verdict.`;

export async function card(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "personalize") return personalize(rest, io);
  if (sub === "read") {
    const { cardRead } = await import("./card-read");
    return cardRead(rest, io);
  }
  if (sub === undefined || sub === "--help" || sub === "-h") return io.help(cardHelp);
  throw new CliError(`unknown card command "${sub}" (personalize, read)`);
}

function personalize(argv: string[], io: Io): number {
  const { values } = parse(argv, {
    ...IDENTITY_OPTIONS,
    serial: { type: "string" },
    iat: { type: "string" },
    exp: { type: "string" },
    years: { type: "string" },
    out: { type: "string", short: "o" },
  });
  if (values.help) return io.help(cardHelp);
  const keyPath = required(values.key, "key");
  const key = readKeyFile(keyPath);
  if (!key.usage.includes("card")) throw new CliError(`${keyPath} is not a card issuing key (usage ${key.usage.join(",")})`);
  const serial = required(values.serial, "serial");
  if (serial.length > 64) throw new CliError("--serial: at most 64 characters");
  const out = required(values.out, "out");
  const idn = identityFromOptions(values);
  const iat = values.iat ? parseTime(values.iat, "iat") : nowSeconds();
  const years = values.years ? Number(values.years) : 5;
  if (!(years > 0)) throw new CliError("--years: must be positive");
  const exp = values.exp ? parseTime(values.exp, "exp") : iat + Math.round(years * 365.25 * 86400);
  if (exp <= iat) throw new CliError("--exp must be after --iat");
  const secretKey = ed.utils.randomSecretKey();
  const publicKey = ed.getPublicKey(secretKey);
  const credential = issueCardCredential({ secretKey: requireSecret(key, keyPath), kid: unhex(key.kid) }, idn, {
    iss: values.iss,
    serial,
    iat,
    exp,
    cardPublicKey: publicKey,
  });
  writeCardImage(out, serial, credential, publicKey, secretKey);
  io.out(`wrote ${out}: card ${serial}, credential ${credential.length} bytes`);
  return 0;
}
