// pindai issue: a fresh 90-second QR presentation.
import { writeFileSync } from "node:fs";
import { parse, parseHex, parseInteger, parseTime, nowSeconds, required, type Options } from "../args";
import { CliError } from "../errors";
import { readKeyFile, requireSecret, unhex } from "../keyfile";
import { issuePresentation, DEFAULT_ISSUER } from "../issuer";
import { qrPng } from "../qr-image";
import { isDate } from "../../../firmware/core/claims";
import type { Identity } from "../cose-sign";
import type { Io } from "../cli";

export const issueHelp = `pindai issue --key FILE --nik N --name S --dob YYYY-MM-DD --sex L|P
             [--pob S] [--iss NAME] [--iat T] [--ttl S] [--cti HEX] [--untagged] [--qr out.png]

Prints the PD1: text of a presentation signed with a QR-usage key; with --qr
also writes it as a QR code PNG. Defaults: iat now, ttl 90 s, random 16-byte
cti, issuer "${DEFAULT_ISSUER}".`;

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
  const idn = identityFromOptions(values);
  const text = issuePresentation({ secretKey: requireSecret(key, keyPath), kid: unhex(key.kid) }, idn, {
    iss: values.iss,
    iat: values.iat ? parseTime(values.iat, "iat") : nowSeconds(),
    ttl: values.ttl ? parseInteger(values.ttl, "ttl", 1, 86400) : 90,
    cti: values.cti ? parseHex(values.cti, "cti", [8, 9, 10, 11, 12, 13, 14, 15, 16]) : undefined,
    tagged: !values.untagged,
  });
  if (values.qr) {
    writeFileSync(values.qr, await qrPng(text));
    io.err(`wrote ${values.qr}`);
  }
  io.out(text);
  return 0;
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

/** --nik --name --dob --sex [--pob], checked as SPEC section 2 requires. */
export function identityFromOptions(v: Record<string, string | boolean | undefined | string[]>): Identity {
  const nik = required(v.nik as string | undefined, "nik");
  if (!/^\d{16}$/.test(nik)) throw new CliError("--nik: expected exactly 16 digits");
  const name = required(v.name as string | undefined, "name");
  if ([...name].length > 100) throw new CliError("--name: at most 100 characters");
  const dob = required(v.dob as string | undefined, "dob");
  if (!isDate(dob)) throw new CliError("--dob: expected a real date as YYYY-MM-DD");
  const sex = required(v.sex as string | undefined, "sex");
  if (sex !== "L" && sex !== "P") throw new CliError("--sex: expected L or P");
  const id: Identity = { nik, name, dob, sex };
  if (typeof v.pob === "string") id.pob = v.pob;
  return id;
}
