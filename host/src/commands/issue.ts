// pindai issue: a fresh 90-second QR presentation.
import { parse, parseHex, parseInteger, parseTime, nowSeconds, required, clip, MAX_TIME, type Options } from "../args";
import { CliError } from "../../issuer/errors";
import { readKeyFile, requireSecret, unhex, type KeyFile } from "../../issuer/keyfile";
import { issuePresentation, DEFAULT_ISSUER } from "../../issuer/issuer";
import { writeOutput } from "../../issuer/files";
import { isDate } from "../../../firmware/core/claims";
import { charCount } from "../../../firmware/core/bytes";
import {
  NIK_DIGITS, MAX_NAME_CHARS, MAX_POB_CHARS, MIN_CTI_BYTES, MAX_CTI_BYTES, MAX_QR_TEXT, MAX_VALIDITY,
} from "../../../firmware/core/limits";
import { PRESENTATION_SECONDS } from "../../../firmware/core/policy";
import type { Identity } from "../../issuer/cose-sign";
import type { Io } from "../cli";

export const issueHelp = `pindai issue --key FILE --nik N --name S --dob YYYY-MM-DD --sex L|P
             [--pob S] [--iss NAME] [--iat T] [--ttl S] [--cti HEX] [--untagged] [--qr out.png]

Prints the PD1: text of a presentation signed with a QR-usage key; with --qr
also writes it as a QR code PNG. Defaults: iat now, ttl ${PRESENTATION_SECONDS} s (at most
${MAX_VALIDITY}; a device refuses more than its key set's max validity), random
16-byte cti, issuer "${DEFAULT_ISSUER}" (give --iss with the agency's name).
Limits (a device refuses more): --name and --pob ${MAX_NAME_CHARS} characters,
--cti ${MIN_CTI_BYTES}-${MAX_CTI_BYTES} bytes, the whole text ${MAX_QR_TEXT} characters.`;

export async function issue(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    ...IDENTITY_OPTIONS,
    iat: { type: "string" },
    ttl: { type: "string" },
    cti: { type: "string" },
    untagged: { type: "boolean" },
    qr: { type: "string" },
  });
  if (values.help) return io.help(issueHelp);
  const keyPath = required(values.key, "key");
  const key = readKeyFile(keyPath);
  if (!key.usage.includes("qr")) throw new CliError(`${keyPath} is not a QR issuing key (usage ${key.usage.join(",")})`);
  const secretKey = requireSecret(key, keyPath);
  const idn = identityFromOptions(values);
  const iat = values.iat ? parseTime(values.iat, "iat") : nowSeconds();
  const ttl = values.ttl ? parseInteger(values.ttl, "ttl", 1, MAX_VALIDITY) : PRESENTATION_SECONDS;
  if (iat + ttl > MAX_TIME) throw new CliError("--iat: the code would expire after 2106");
  warnOutsideWindow(io, key, keyPath, iat, "--iat");
  const text = issuePresentation({ secretKey, kid: unhex(key.kid) }, idn, {
    iss: values.iss,
    iat,
    ttl,
    cti: values.cti ? parseHex(values.cti, "cti", ctiLengths()) : undefined,
    tagged: !values.untagged,
  });
  if (text.length > MAX_QR_TEXT) {
    throw new CliError(`the code would be ${text.length} characters, more than a QR code holds (${MAX_QR_TEXT}): shorten --iss, --name or --pob`);
  }
  if (values.qr) {
    const { qrPng } = await import("../../issuer/qr-image");
    writeOutput(values.qr, await qrPng(text), "QR image");
    io.err(`wrote ${values.qr}`);
  }
  (values.qr === "-" ? io.err : io.out)(text); // "-": the PNG is standard output
  return 0;
}

function ctiLengths(): number[] {
  const l: number[] = [];
  for (let n = MIN_CTI_BYTES; n <= MAX_CTI_BYTES; n++) l.push(n);
  return l;
}

/** A code or card signed outside its key's window is refused by devices (KEY_NOT_VALID): say so. */
export function warnOutsideWindow(io: Io, key: KeyFile, keyPath: string, t: number, option: string): void {
  if (t < key.nbf || t > key.exp) {
    const iso = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z");
    io.err(`warning: ${option} ${iso(t)} is outside the validity window of ${keyPath} (${iso(key.nbf)} to ${iso(key.exp)}); devices will say KEY_NOT_VALID`);
  }
}

/** The options that name a holder (and the key and issuer that sign for them). */
export const IDENTITY_OPTIONS: Options = {
  key: { type: "string" },
  nik: { type: "string" },
  name: { type: "string" },
  dob: { type: "string" },
  sex: { type: "string" },
  pob: { type: "string" },
  iss: { type: "string" },
};

/** --nik --name --dob --sex [--pob], checked with the limits the verifier applies (SPEC section 2). */
export function identityFromOptions(v: Record<string, string | boolean | undefined | string[]>): Identity {
  const nik = required(v.nik as string | undefined, "nik");
  if (nik.length !== NIK_DIGITS || !/^\d+$/.test(nik)) throw new CliError(`--nik: expected exactly ${NIK_DIGITS} digits`);
  const name = required(v.name as string | undefined, "name");
  if (charCount(name) > MAX_NAME_CHARS) throw new CliError(`--name: at most ${MAX_NAME_CHARS} characters (got ${charCount(name)})`);
  const dob = required(v.dob as string | undefined, "dob");
  if (!isDate(dob)) throw new CliError(`--dob: expected a real date as YYYY-MM-DD, got "${clip(dob)}"`);
  const sex = required(v.sex as string | undefined, "sex");
  if (sex !== "L" && sex !== "P") throw new CliError("--sex: expected L or P");
  const id: Identity = { nik, name, dob, sex };
  if (typeof v.pob === "string") {
    if (charCount(v.pob) > MAX_POB_CHARS) throw new CliError(`--pob: at most ${MAX_POB_CHARS} characters (got ${charCount(v.pob)})`);
    id.pob = v.pob;
  }
  return id;
}
