// What the two flashing commands share: reading the built image and a
// progress line every 10 percent on stderr.
import { CliError } from "../../issuer/errors";
import { readBounded } from "../../issuer/files";
import type { Io } from "../cli";

/** A device image is some 100 KB; a board's flash holds a few MB at most. */
const MAX_DEVICE_IMAGE_BYTES = 4 * 1024 * 1024;

/** The image at `path`; `given` says whether --image named it (else it is the default build's). */
export function readImage(path: string, given = true): Buffer {
  try {
    return readBounded(path, "image", MAX_DEVICE_IMAGE_BYTES);
  } catch (e) {
    const hint = given ? "npm run build makes it" : "npm run build makes it; for a build made with --out DIR, give --image DIR/" + path.split("/").slice(-2).join("/");
    throw new CliError(`${(e as Error).message} (${hint})`, (e as CliError).exitCode ?? 1);
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
