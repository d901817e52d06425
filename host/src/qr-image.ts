// QR images on the host: written with the qrcode package, read back with jsqr
// (the same decoder the camera path of the device uses).
import QRCode from "qrcode";
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import jsQR from "jsqr";
import { CliError } from "./errors";
import { readBounded } from "./files";

export interface GrayImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

/** A PNG of `text` (alphanumeric mode for Base45 text, error correction M). */
export async function qrPng(text: string, scale = 4): Promise<Buffer> {
  return QRCode.toBuffer([{ data: text, mode: "alphanumeric" }], {
    errorCorrectionLevel: "M",
    margin: 4,
    scale,
    type: "png",
  });
}

export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
export const MAX_IMAGE_PIXELS = 16 * 1024 * 1024;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Decode a PNG or JPEG file into RGBA; clear errors for anything else. The
 * file size is checked before reading and the pixel count before decoding
 * (a PNG's IHDR; jpeg-js checks the frame header against its limit).
 */
export function readImage(path: string): GrayImage {
  const data = readBounded(path, "image", MAX_IMAGE_BYTES);
  let kind = "image";
  try {
    if (data.length >= 24 && data.subarray(0, 8).equals(PNG_SIGNATURE)) {
      kind = "PNG";
      // RFC 2083 / PNG 11.2.2: IHDR is the first chunk; width and height at bytes 16 and 20.
      if (data.toString("latin1", 12, 16) !== "IHDR") throw new Error("no IHDR chunk first");
      const pixels = data.readUInt32BE(16) * data.readUInt32BE(20);
      if (pixels > MAX_IMAGE_PIXELS) return tooManyPixels(path, pixels);
      const png = PNG.sync.read(data);
      return { width: png.width, height: png.height, rgba: new Uint8ClampedArray(png.data) };
    }
    if (data[0] === 0xff && data[1] === 0xd8) {
      kind = "JPEG";
      const img = jpeg.decode(data, { useTArray: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: 256 });
      return { width: img.width, height: img.height, rgba: new Uint8ClampedArray(img.data) };
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    // The decoders' own words ("read requests waitng on finished stream") mean nothing to a user.
    if (/maxResolutionInMP|maxMemoryUsageInMB/.test((e as Error).message)) throw new CliError(`${path}: image larger than ${MAX_IMAGE_PIXELS} pixels`);
    throw new CliError(`${path}: the ${kind} file is damaged or cut short, it cannot be decoded`);
  }
  throw new CliError(`${path}: not a PNG or JPEG image`);
}

function tooManyPixels(path: string, pixels: number): never {
  throw new CliError(`${path}: image of ${pixels} pixels, more than ${MAX_IMAGE_PIXELS}`);
}

/** The text of the first QR code found, or undefined. */
export function decodeQr(img: GrayImage): string | undefined {
  const r = jsQR(img.rgba, img.width, img.height, { inversionAttempts: "attemptBoth" });
  return r ? r.data : undefined;
}
