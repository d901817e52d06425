// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): detects torn or
// corrupted records in flash. Bitwise, no table: 8 steps a byte, on records
// of a few dozen bytes.
import type { Bytes } from "./bytes";

export function crc32(b: Bytes, start: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    crc = (crc ^ b[i]) >>> 0;
    for (let k = 0; k < 8; k++) crc = (crc & 1) === 1 ? ((crc >>> 1) ^ 0xedb88320) >>> 0 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function putU32(b: Bytes, off: number, v: number): void {
  b[off] = Math.floor(v / 16777216) & 255;
  b[off + 1] = Math.floor(v / 65536) & 255;
  b[off + 2] = Math.floor(v / 256) & 255;
  b[off + 3] = v & 255;
}

export function getU32(b: Bytes, off: number): number {
  return ((b[off] * 256 + b[off + 1]) * 256 + b[off + 2]) * 256 + b[off + 3];
}
