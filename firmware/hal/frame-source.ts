// Grayscale camera frames, where the device has the memory to decode them
// itself (Linux-class devices, the simulator). Microcontrollers use a scan
// engine instead (scan-engine.ts).
import type { Bytes } from "../core/bytes";

export interface Frame {
  width: number;
  height: number;
  /** width * height luminance bytes, row-major, 0 = black. */
  luma: Bytes;
}

export interface FrameSource {
  onFrame(handler: (frame: Frame) => void): void;
  close(): void;
}

/**
 * Finds and decodes the QR codes in a frame. `done` is called exactly once,
 * at once or later (decoders in WebAssembly answer asynchronously), with the
 * text of each code found: an empty list when there is none. A decoder never
 * throws; the texts are unfiltered (see app/camera-reader.ts).
 */
export interface QrFrameDecoder {
  /** Which decoder (for logs and the scan tool): "zxing", "jsqr". */
  name: string;
  decode(frame: Frame, done: (texts: string[]) => void): void;
}
