// pindai verify: check a presentation exactly as a device would (same core).
import { parse, parseTime, nowSeconds } from "../args";
import { CliError } from "../../issuer/errors";
import { parseRoot, readKeysetFile } from "../../issuer/trust";
import { verifyPresentation } from "../../../firmware/core/presentation";
import type { Outcome } from "../../../firmware/core/outcome";
import { ReplayCache } from "../../../firmware/core/replay";
import { displayText } from "../../../firmware/app/display-text";
import type { Io } from "../cli";

export const verifyHelp = `pindai verify --root HEX|FILE --keyset FILE [--at UNIXTIME] [--json] (TEXT | --image FILE.png|.jpg)

Verifies a PD1: presentation with the key set, as a device would, and prints
the verdict (and on OK the name, date of birth, masked NIK and issuer).
--root may be given more than once. Exit status: 0 OK, 1 any other verdict,
2 usage errors or unreadable files. An image is read as a camera frame (zxing,
jsQR where WebAssembly does not run); of several codes the PD1: one is taken.`;

export async function verify(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      root: { type: "string", multiple: true },
      keyset: { type: "string" },
      at: { type: "string" },
      json: { type: "boolean" },
      image: { type: "string" },
    },
    true,
  );
  if (values.help) return io.help(verifyHelp);
  if (!values.root || values.root.length === 0) throw new CliError("missing --root");
  if (!values.keyset) throw new CliError("missing --keyset");
  const roots = values.root.map(parseRoot);
  let text: string;
  if (values.image) {
    if (positionals.length > 0) throw new CliError("give either TEXT or --image, not both");
    const { codeInImage } = await import("../../issuer/qr-image"); // the image libraries, only when needed
    const found = await codeInImage(values.image);
    if (found === undefined) throw new CliError(`${values.image}: no QR code found in the image`);
    text = found;
  } else {
    if (positionals.length !== 1) throw new CliError("expected the presentation TEXT (or --image FILE)");
    text = positionals[0];
  }
  const keyset = readKeysetFile(values.keyset, roots);
  const now = values.at !== undefined ? parseTime(values.at, "at") : nowSeconds();
  const result = verifyPresentation(text, keyset, { now, trusted: true }, new ReplayCache(1));
  io.out(values.json ? JSON.stringify(toJson(result)) : toText(result));
  return result.verdict === "OK" ? 0 : 1;
}

export function toJson(r: Outcome): Record<string, unknown> {
  const o: Record<string, unknown> = { verdict: r.verdict };
  if (r.display) Object.assign(o, r.display);
  if (r.warnings.length) o.warnings = r.warnings;
  if (r.kid) o.kid = r.kid;
  return o;
}

export function toText(r: Outcome): string {
  const lines: string[] = [r.verdict];
  if (r.display) {
    const d = r.display;
    // The issuer's text reaches a terminal: no escape, newline or bidi override gets through.
    const safe = (t: string) => displayText(t, 100);
    lines.push(`name: ${safe(d.name)}`, `date of birth: ${d.dob}`, `NIK: ${d.nikMasked}`, `sex: ${d.sex}`, `issuer: ${safe(d.issuer)}`);
    if (d.pob) lines.push(`place of birth: ${safe(d.pob)}`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join("\n");
}
