// QR images on the host: written with the qrcode package, read back with the
// camera path's decoders (zxing, jsQR as the fallback).
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import QRCode from "qrcode";
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import { CliError } from "./errors";
import { fsReason, readBounded } from "./files";
import type { Frame } from "../../firmware/hal/frame-source";
import { pickCode } from "../../firmware/app/camera-reader";
import { cameraDecoder, decodeFrame } from "../../firmware/targets/node/camera-decoder";

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

/** The image as a camera frame: Rec. 601 luma, one byte per pixel. */
export function lumaFrame(img: GrayImage): Frame {
  const luma = new Uint8Array(img.width * img.height);
  for (let i = 0; i < luma.length; i++) {
    luma[i] = Math.round(0.299 * img.rgba[4 * i] + 0.587 * img.rgba[4 * i + 1] + 0.114 * img.rgba[4 * i + 2]);
  }
  return { width: img.width, height: img.height, luma };
}

/** `path` itself, or every .png/.jpg/.jpeg in the folder `path` (sorted by name). */
export function imageFiles(path: string): string[] {
  let dir: boolean;
  try {
    dir = statSync(path).isDirectory();
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${fsReason(e)}`, 1, e);
  }
  if (!dir) return [path];
  return readdirSync(path)
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .sort()
    .map((f) => join(path, f));
}

/** The code a device would take from the picture (the pindai one first), read as a camera frame; undefined when none. */
export async function codeInPicture(img: GrayImage): Promise<string | undefined> {
  return pickCode(await decodeFrame(cameraDecoder(), lumaFrame(img)));
}

/** codeInPicture of an image file. */
export function codeInImage(path: string): Promise<string | undefined> {
  return codeInPicture(readImage(path));
}

/** Cheap camera modules give up to 640x480; a little headroom, no more. */
export const MAX_FRAME_PIXELS = 1920 * 1080;

export function frameFromFile(path: string): Frame {
  const img = readImage(path); // PNG/JPEG, size-checked, clear errors
  if (img.width * img.height > MAX_FRAME_PIXELS) {
    throw new Error(`${path}: ${img.width}x${img.height} is larger than a camera frame (${MAX_FRAME_PIXELS} pixels)`);
  }
  return lumaFrame(img);
}
