// What the two flashing commands share: reading the built image and a
// progress line every 10 percent on stderr.
import { readFileSync } from "node:fs";
import { CliError } from "../errors";
import type { Io } from "../cli";

export function readImage(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CliError(`cannot read image ${path}: ${(e as Error).message} (run npm run build first)`);
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
