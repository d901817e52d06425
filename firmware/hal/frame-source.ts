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

/** Finds and decodes a QR code in a frame (jsqr on Node); undefined when none. */
export interface QrFrameDecoder {
  decode(frame: Frame): string | undefined;
}
