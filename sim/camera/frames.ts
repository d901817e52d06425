// Camera frames for the simulator: PNG or JPEG files (or a folder of them)
// as grayscale Frames (Rec. 601 luma), and a FrameSource that plays them.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Frame, FrameSource } from "../../firmware/hal/frame-source";
import { readImage } from "../../host/src/qr-image";
import { fsReason } from "../../host/src/files";

/** Cheap camera modules give up to 640x480; a little headroom, no more. */
export const MAX_FRAME_PIXELS = 1920 * 1080;

export function frameFromFile(path: string): Frame {
  const img = readImage(path); // PNG/JPEG, size-checked, clear errors
  if (img.width * img.height > MAX_FRAME_PIXELS) {
    throw new Error(`${path}: ${img.width}x${img.height} is larger than a camera frame (${MAX_FRAME_PIXELS} pixels)`);
  }
  const luma = new Uint8Array(img.width * img.height);
  for (let i = 0; i < luma.length; i++) {
    luma[i] = Math.round(0.299 * img.rgba[4 * i] + 0.587 * img.rgba[4 * i + 1] + 0.114 * img.rgba[4 * i + 2]);
  }
  return { width: img.width, height: img.height, luma };
}

/** A folder plays at most this many frames (30 s at 10 frames per second): memory stays bounded. */
export const MAX_FRAMES = 300;

/** A file, or every .png/.jpg/.jpeg in a folder (sorted by name). */
export function framesFrom(path: string): Frame[] {
  let folder: boolean;
  try {
    folder = statSync(path).isDirectory();
  } catch (e) {
    throw new Error(`cannot read ${path}: ${fsReason(e)}`);
  }
  if (!folder) return [frameFromFile(path)];
  const names = readdirSync(path).filter((f) => /\.(png|jpe?g)$/i.test(f));
  if (names.length > MAX_FRAMES) throw new Error(`${path}: ${names.length} images, more than ${MAX_FRAMES} frames`);
  return names.sort().map((f) => frameFromFile(join(path, f)));
}

/** Plays frames at `fps`, once, then stops. */
export class FramePlayer implements FrameSource {
  private handler: ((f: Frame) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly frames: Frame[],
    private readonly fps = 10,
  ) {}

  onFrame(handler: (frame: Frame) => void): void {
    this.handler = handler;
  }

  /** Resolves after the last frame has been delivered. */
  play(): Promise<void> {
    let i = 0;
    return new Promise((resolve) => {
      const next = () => {
        if (i >= this.frames.length) return resolve();
        this.handler?.(this.frames[i++]);
        this.timer = setTimeout(next, 1000 / this.fps);
      };
      next();
    });
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
