// pindai card read: drive a PN532 on a serial port and print the card's verdict.
import { parse, parseInteger, nowSeconds, parseTime, required } from "../args";
import { CliError, failed } from "../../issuer/errors";
import { readCardOnPort } from "../card-read";
import { parseRoot, readKeysetFile } from "../../issuer/trust";
import { portReason } from "../../issuer/files";
import { verifyCard } from "../../../firmware/core/card";
import { toJson, toText } from "./verify";
import { cardHelp } from "./card";
import type { Io } from "../cli";

export async function cardRead(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    port: { type: "string" },
    root: { type: "string", multiple: true },
    keyset: { type: "string" },
    at: { type: "string" },
    timeout: { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) return io.help(cardHelp);
  const path = required(values.port, "port");
  if ((values.root === undefined) !== (values.keyset === undefined)) throw new CliError("--root and --keyset go together");
  const timeout = values.timeout ? parseInteger(values.timeout, "timeout", 10, 60000) : 1000;
  // Inputs are checked before the reader is touched.
  const keyset = values.root === undefined ? undefined : readKeysetFile(values.keyset, values.root.map(parseRoot));
  const now = values.at !== undefined ? parseTime(values.at, "at") : nowSeconds();
  let result;
  try {
    result = await readCardOnPort(path, { replyTimeoutMs: timeout, detectTimeoutMs: timeout });
  } catch (e) {
    throw failed(`cannot open the reader port ${path}: ${portReason(e)}`, e);
  }
  if (!result.ok) {
    const detail = `${result.error} (${result.detail})`;
    io.out(values.json ? JSON.stringify({ verdict: "CARD_ERROR", error: result.error, detail: result.detail }) : `CARD_ERROR\nreader: ${detail}`);
    return 1;
  }
  if (keyset === undefined) {
    const r = result.read;
    io.out(`card read: credential ${r.credential.length} bytes, challenge answered (give --root and --keyset for a verdict)`);
    return 0;
  }
  const outcome = verifyCard(result.read, keyset, { now, trusted: true });
  const json = toJson(outcome);
  if (outcome.sub !== undefined) json.serial = outcome.sub;
  io.out(values.json ? JSON.stringify(json) : toText(outcome) + (outcome.sub ? `\ncard: ${outcome.sub}` : ""));
  return outcome.verdict === "OK" ? 0 : 1;
}
