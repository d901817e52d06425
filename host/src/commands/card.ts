// pindai card personalize | read
import { parse, parseTime, nowSeconds, required, MAX_TIME } from "../args";
import { CliError } from "../../issuer/errors";
import { ed } from "../../issuer/ed";
import { readKeyFile, requireSecret, unhex } from "../../issuer/keyfile";
import { issueCardCredential } from "../../issuer/issuer";
import { writeCardImage } from "../../issuer/card-image";
import { IDENTITY_OPTIONS, identityFromOptions, warnOutsideWindow } from "./issue";
import { MAX_CREDENTIAL_BYTES, MAX_SERIAL_CHARS } from "../../../firmware/core/limits";
import type { Io } from "../cli";

export const cardHelp = `pindai card personalize --key ISSUERKEY --serial S --nik N --name S --dob YYYY-MM-DD --sex L|P
                        [--pob S] [--iss NAME] [--iat T] [--exp T | --years N] --out card.json
pindai card read --port PATH [--root HEX|FILE --keyset FILE] [--timeout MS] [--json]

personalize makes a card image: the credential file (signed with a card-usage
key) and a fresh card key pair, for the PN532 emulator or a card writer.
read drives a PN532 on a serial port (or the pty that \`pindai emulate pn532
--card card.json\` prints), reads the card and, given a root and key set,
prints its verdict. The key set needs a card-usage key (keygen --usage card).`;

export async function card(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "personalize") return personalize(rest, io);
  if (sub === "read") {
    const { cardRead } = await import("./card-read");
    return cardRead(rest, io);
  }
  if (sub === "--help" || sub === "-h") return io.help(cardHelp);
  if (sub === undefined) throw new CliError("expected personalize or read (pindai card --help)");
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
  const issuerSecret = requireSecret(key, keyPath);
  const serial = required(values.serial, "serial");
  if (serial.length > MAX_SERIAL_CHARS) throw new CliError(`--serial: at most ${MAX_SERIAL_CHARS} characters`);
  const out = required(values.out, "out");
  const idn = identityFromOptions(values);
  const iat = values.iat ? parseTime(values.iat, "iat") : nowSeconds();
  const years = values.years ? Number(values.years) : 5;
  if (!(years > 0)) throw new CliError("--years: must be positive");
  const exp = values.exp ? parseTime(values.exp, "exp") : iat + Math.round(years * 365.25 * 86400);
  if (exp <= iat) throw new CliError("--exp must be after --iat");
  if (exp > MAX_TIME) throw new CliError("--years: the card would expire after 2106");
  warnOutsideWindow(io, key, keyPath, iat, "--iat");
  const secretKey = ed.utils.randomSecretKey();
  const publicKey = ed.getPublicKey(secretKey);
  const credential = issueCardCredential({ secretKey: issuerSecret, kid: unhex(key.kid) }, idn, {
    iss: values.iss,
    serial,
    iat,
    exp,
    cardPublicKey: publicKey,
  });
  if (credential.length > MAX_CREDENTIAL_BYTES) {
    throw new CliError(`the credential would be ${credential.length} bytes, more than a reader takes (${MAX_CREDENTIAL_BYTES}): shorten --iss, --name or --pob`);
  }
  const warning = writeCardImage(out, serial, credential, publicKey, secretKey);
  if (warning) io.err(warning);
  (out === "-" ? io.err : io.out)(`wrote ${out}: card ${serial}, credential ${credential.length} bytes`);
  return 0;
}
