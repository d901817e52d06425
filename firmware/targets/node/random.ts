// Random HAL on Node: the operating system's CSPRNG.
import { randomBytes } from "node:crypto";
import type { Random } from "../../hal/random";

export const nodeRandom: Random = {
  bytes: (n) => new Uint8Array(randomBytes(n)),
};
