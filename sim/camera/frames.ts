// Camera frames for the simulator: PNG or JPEG files (or a folder of them)
// as grayscale Frames (Rec. 601 luma), and a FrameSource that plays them.
import type { Frame, FrameSource } from "../../firmware/hal/frame-source";
import { MAX_FRAME_PIXELS, frameFromFile, imageFiles } from "../../host/issuer/qr-image";

export { MAX_FRAME_PIXELS, frameFromFile };

/** A folder plays at most this many frames (30 s at 10 frames per second): memory stays bounded. */
export const MAX_FRAMES = 300;

/** A file, or every .png/.jpg/.jpeg in a folder (sorted by name). */
export function framesFrom(path: string): Frame[] {
  const names = imageFiles(path);
  if (names.length > MAX_FRAMES) throw new Error(`${path}: ${names.length} images, more than ${MAX_FRAMES} frames`);
  return names.map(frameFromFile);
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
