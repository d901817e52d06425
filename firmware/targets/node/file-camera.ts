// A camera on a Linux-class device without a capture library: a capture tool
// (ffmpeg, fswebcam, libcamera-still) writes frames as PNG or JPEG files, and
// this FrameSource hands on the newest one each time it changes. Given a
// file, that file (a tool rewriting it in place, `ffmpeg ... -update 1`);
// given a folder, its newest image. A frame caught half-written does not
// decode as an image and is skipped: the next one comes a moment later.
import { readdirSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import type { Frame, FrameSource } from "../../hal/frame-source";

/** How often the file or folder is looked at: a 10 frames/s camera. */
export const CAMERA_POLL_MS = 100;
const IMAGE = new Set([".png", ".jpg", ".jpeg"]);

export interface FileCameraStats {
  frames: number;
  /** Changed files that did not load as an image (half-written, not an image). */
  unreadable: number;
}

/** The newest image of `path` (a file, or a folder's newest .png/.jpg/.jpeg) and its change stamp. */
function newest(path: string): { file: string; stamp: string } | undefined {
  const st = statSync(path);
  if (!st.isDirectory()) return { file: path, stamp: `${st.mtimeMs}:${st.size}` };
  let best: { file: string; stamp: string; at: number } | undefined;
  for (const name of readdirSync(path)) {
    if (!IMAGE.has(extname(name).toLowerCase())) continue;
    const file = join(path, name);
    try {
      const s = statSync(file);
      if (s.isFile() && (best === undefined || s.mtimeMs > best.at)) best = { file, stamp: `${file}:${s.mtimeMs}:${s.size}`, at: s.mtimeMs };
    } catch {
      // removed between the listing and the look: the next poll sees what is there
    }
  }
  return best;
}

export class FileCamera implements FrameSource {
  readonly stats: FileCameraStats = { frames: 0, unreadable: 0 };
  private handler: ((f: Frame) => void) | undefined;
  private last = "";
  private readonly timer: NodeJS.Timeout;

  /** `readFrame` turns an image file into a frame (the host's PNG/JPEG reader, size-checked). */
  constructor(
    private readonly path: string,
    private readonly readFrame: (path: string) => Frame,
    pollMs = CAMERA_POLL_MS,
  ) {
    statSync(path); // a path that is not there fails now, with the reason
    this.timer = setInterval(() => this.look(), pollMs);
  }

  onFrame(handler: (frame: Frame) => void): void {
    this.handler = handler;
  }

  private look(): void {
    let n: ReturnType<typeof newest>;
    try {
      n = newest(this.path);
    } catch {
      return; // the folder went away for a moment (a tool recreating it)
    }
    if (n === undefined || n.stamp === this.last) return;
    this.last = n.stamp;
    let frame: Frame;
    try {
      frame = this.readFrame(n.file);
    } catch {
      this.stats.unreadable++; // a writer that finishes changes its stamp: it is read then
      return;
    }
    this.stats.frames++;
    this.handler?.(frame);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
