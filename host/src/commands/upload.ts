// What the two flashing commands share: reading the built image and a
// progress line every 10 percent on stderr.
import { CliError } from "../../issuer/errors";
import { readBounded } from "../../issuer/files";
import type { Io } from "../cli";

/** A device image is some 100 KB; a board's flash holds a few MB at most. */
const MAX_DEVICE_IMAGE_BYTES = 4 * 1024 * 1024;

export function readImage(path: string): Buffer {
  try {
    return readBounded(path, "image", MAX_DEVICE_IMAGE_BYTES);
  } catch (e) {
    throw new CliError(`${(e as Error).message} (run npm run build first)`);
  }
}

export function progressLine(io: Io, label: string): (done: number, total: number) => void {
  let last = -10;
  return (done, total) => {
    const pct = Math.floor((100 * done) / total);
    if (pct >= last + 10 || (done === total && pct !== last)) {
      io.err(`${label}: ${pct}% (${done}/${total} bytes)`);
      last = pct;
    }
  };
}
