// Camera frames to scanned codes, for devices that decode frames themselves.
// - One frame is decoded at a time; frames arriving meanwhile are dropped (a
//   queue would show an old code late). A decode that never answers is given
//   up after `timeoutMs`, and its late answer ignored: the camera never stalls.
// - Of the codes in one frame, the pindai one (QR_PREFIX) is taken: a poster
//   with a URL code beside the holder's phone must not hide it.
// - A result that is empty or not printable text (a phantom "code" found in
//   sensor noise, a binary code) is never passed on, so it never becomes a
//   verdict on screen or in the audit log.
import type { Frame, FrameSource, QrFrameDecoder } from "../hal/frame-source";
import type { TimerHandle, Timers } from "../hal/timers";
import { QR_PREFIX } from "../core/presentation";
import { MAX_SCAN_LINE } from "../hal/scan-engine";

/** Non-empty, not overlong, and only printable characters (no controls, no U+FFFD from a failed transcoding). */
export function isShowableText(t: string): boolean {
  if (t.length === 0 || t.length > MAX_SCAN_LINE) return false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 32 || c === 127 || c === 0xfffd) return false;
  }
  return true;
}

/** The code to show from one frame's texts: the first pindai one, else the first showable one. */
export function pickCode(texts: string[]): string | undefined {
  let other: string | undefined = undefined;
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i];
    if (!isShowableText(t)) continue;
    if (t.substring(0, QR_PREFIX.length) === QR_PREFIX) return t;
    if (other === undefined) other = t;
  }
  return other;
}

export interface CameraStats {
  frames: number;
  /** Arrived while a decode was running. */
  dropped: number;
  /** Decodes that did not answer in time. */
  timedOut: number;
}

export interface CameraReader {
  stats: CameraStats;
  close(): void;
}

export function cameraReader(
  source: FrameSource,
  decoder: QrFrameDecoder,
  timers: Timers,
  onCode: (text: string) => void,
  timeoutMs: number,
): CameraReader {
  const stats: CameraStats = { frames: 0, dropped: 0, timedOut: 0 };
  let running = 0; // the number of the decode in progress, 0 when idle
  let count = 0;
  let watchdog: TimerHandle | undefined = undefined;
  let closed = false;

  const finish = (n: number, texts: string[]) => {
    if (n !== running) return; // timed out earlier, or answered twice
    running = 0;
    if (watchdog !== undefined) timers.clearTimeout(watchdog);
    watchdog = undefined;
    const code = closed ? undefined : pickCode(texts);
    if (code !== undefined) onCode(code);
  };

  source.onFrame((frame: Frame) => {
    stats.frames++;
    if (closed) return;
    if (running !== 0) {
      stats.dropped++;
      return;
    }
    count++;
    const n = count;
    running = n;
    watchdog = timers.setTimeout(() => {
      if (running !== n) return;
      stats.timedOut++;
      watchdog = undefined;
      running = 0;
    }, timeoutMs);
    decoder.decode(frame, (texts) => finish(n, texts));
  });

  return {
    stats,
    close() {
      closed = true;
      if (watchdog !== undefined) timers.clearTimeout(watchdog);
      source.close();
    },
  };
}
