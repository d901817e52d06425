// pindai scan: the text of every QR code in an image or a folder of images,
// and which decoder read it: for people who want to know what a code says,
// and for measuring the camera decoders from the command line.
import { parse } from "../args";
import { CliError } from "../../issuer/errors";
import { imageFiles, lumaFrame, readImage } from "../../issuer/qr-image";
import { isShowableText } from "../../../firmware/app/camera-reader";
import { DECODER_NAMES, cameraDecoder, decodeFrame, decoderNamed, type DecoderName } from "../../../firmware/targets/node/camera-decoder";
import { loadZxing } from "../../../firmware/targets/node/zxing-decoder";
import type { QrFrameDecoder } from "../../../firmware/hal/frame-source";
import type { Io } from "../cli";

export const scanHelp = `pindai scan --image FILE|DIR [--decoder zxing|jsqr|all] [--json]

Reads every QR code in an image (PNG or JPEG), or in each image of a folder,
and prints its text and the decoder that read it. The default decoder is the
one a device uses (zxing; jsQR where WebAssembly does not run); --decoder all
runs each and prints what each found. A text a device would not show (empty,
control characters) is marked "not shown". --json prints one object per image
and decoder: {"file", "decoder", "codes": [{"text", "shown"}], "ms"}.
Every decoding pass runs on every image (no time budget as on a device's
live frames): the result does not depend on the machine's load.
Exit status: 0 a code in every image, 1 an image without one or an image that
cannot be read (the others are still read), 2 usage errors.`;

export async function scan(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { image: { type: "string" }, decoder: { type: "string" }, json: { type: "boolean" } });
  if (values.help) return io.help(scanHelp);
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`);
  if (!values.image) throw new CliError("missing --image FILE|DIR");
  const choice: string = values.decoder ?? "default";
  if (choice !== "default" && choice !== "all" && !DECODER_NAMES.includes(choice as DecoderName)) {
    throw new CliError(`--decoder: expected ${DECODER_NAMES.join(", ")} or all, got "${choice}"`);
  }
  let decoders: QrFrameDecoder[];
  if (choice === "all") decoders = DECODER_NAMES.map(decoderNamed);
  else if (choice !== "default") decoders = [decoderNamed(choice as DecoderName)];
  else decoders = [cameraDecoder((why) => io.err(`warning: zxing unavailable (${why}), using jsqr`))];
  if (choice === "all" || choice === "zxing") {
    await loadZxing().catch((e: Error) => {
      throw new CliError(`--decoder ${choice}: zxing cannot run here (${e.message})`);
    });
  }
  const files = imageFiles(values.image);
  if (files.length === 0) throw new CliError(`${values.image}: no PNG or JPEG images in the folder`);

  let unreadable = false, missed = false;
  for (const file of files) {
    let frame;
    try {
      frame = lumaFrame(readImage(file));
    } catch (e) {
      io.err(`pindai scan: ${(e as Error).message}`);
      unreadable = true;
      continue;
    }
    let found = false;
    for (const d of decoders) {
      const start = performance.now();
      const texts = await decodeFrame(d, frame);
      const ms = performance.now() - start;
      if (texts.length > 0) found = true;
      if (values.json) {
        const codes = texts.map((text) => ({ text, shown: isShowableText(text) }));
        io.out(JSON.stringify({ file, decoder: d.name, codes, ms: Math.round(ms * 10) / 10 }));
      } else if (texts.length === 0) {
        io.out(`${file}: [${d.name}] no code`);
      } else {
        for (const t of texts) io.out(`${file}: [${d.name}] ${printable(t)}${isShowableText(t) ? "" : "  (not shown by a device)"}`);
      }
    }
    if (!found) missed = true;
  }
  return unreadable || missed ? 1 : 0;
}

/** The text on one line: as is when it is plain, else JSON-quoted (newlines, controls). */
function printable(t: string): string {
  return /^[\x20-\x7e\u00a0-\uffff]+$/.test(t) && !t.includes("\ufffd") ? t : JSON.stringify(t);
}
