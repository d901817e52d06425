// The device's random bytes (device key, audit secret, admin nonces, card
// challenges), never the source's bytes as they come:
// - at boot the source must pass health tests in the style of NIST SP
//   800-90B section 4.4 on 512 bytes (repetition count, adaptive proportion,
//   claiming 4 bits of min-entropy per byte), and a stuck-output test; each
//   later draw is tested again (repetition count, the same bytes twice);
// - a boot counter in flash goes up before any output, and every output is
//   HMAC-SHA-512(key, boot counter || draw counter || fresh bytes), the key
//   made from the boot sample and, once the device has its key, its secret:
//   even a source that gives the same bytes after every boot (Espruino for
//   Linux's E.hwRand has a fixed seed) never gives the same nonce twice.
// A source that fails refuses: bytes() throws, and startDevice (targets/
// device.ts) refuses to provision or sign and shows why.
import { type Bytes, alloc, concat, copyInto, equal, slice, utf8Encode } from "../core/bytes";
import { hmacSha512 } from "../core/hmac";
import { putU32 } from "../core/crc32";
import type { Random } from "../hal/random";
import type { Storage } from "../hal/storage";
import { FlashNumber } from "./flash-record";

export const BOOT_COUNTER_FILE = "random.boot";
/** SP 800-90B 4.4.1: C = 1 + ceil(20 / H) identical samples in a row, H = 4 bits per byte, alpha = 2^-20. */
export const REPETITION_CUTOFF = 6;
/** SP 800-90B 4.4.2: a window of 512 bytes; C = 1 + critbinom(512, 2^-4, 1 - 2^-20) = 62. */
export const PROPORTION_WINDOW = 512;
export const PROPORTION_CUTOFF = 62;
const DRAW = 32;

/** Why `sample` fails the health tests, or undefined when it passes. */
export function healthFailure(sample: Bytes): string | undefined {
  let run = 1;
  for (let i = 1; i < sample.length; i++) {
    run = sample[i] === sample[i - 1] ? run + 1 : 1;
    if (run >= REPETITION_CUTOFF) return "repetition count: " + run + " identical bytes in a row";
  }
  if (sample.length >= PROPORTION_WINDOW) {
    let n = 0;
    for (let i = 0; i < PROPORTION_WINDOW; i++) if (sample[i] === sample[0]) n++;
    if (n >= PROPORTION_CUTOFF) return "adaptive proportion: one value " + n + " times in " + PROPORTION_WINDOW + " bytes";
  }
  // Stuck output: a block of 16 bytes repeated at once (a short cycle, a constant word).
  for (let off = 0; off + 32 <= sample.length; off += 16) {
    if (equal(slice(sample, off, off + 16), slice(sample, off + 16, off + 32))) return "stuck output: the same 16 bytes twice in a row";
  }
  return undefined;
}

export class CheckedRandom implements Random {
  /** Why the source was refused; undefined while it passes. */
  failure: string | undefined = undefined;
  private key: Bytes = alloc(0);
  private boot = 0;
  private draws = 0;
  private last: Bytes = alloc(0);
  private mix: (() => Bytes) | undefined = undefined;

  constructor(
    private readonly source: Random,
    storage: Storage,
  ) {
    const sample = source.bytes(PROPORTION_WINDOW);
    this.failure = healthFailure(sample);
    if (this.failure !== undefined) return;
    const counter = new FlashNumber(storage, BOOT_COUNTER_FILE);
    const boot = counter.get() + 1;
    counter.set(boot);
    // Read back: a counter that does not stay in flash cannot keep nonces apart across boots.
    if (new FlashNumber(storage, BOOT_COUNTER_FILE).get() !== boot) {
      this.failure = "the boot counter does not stay in flash";
      return;
    }
    this.boot = boot;
    this.key = hmacSha512(utf8Encode("pindai/random"), sample);
    this.last = slice(sample, PROPORTION_WINDOW - DRAW, PROPORTION_WINDOW);
  }

  /**
   * Mix the device's own secret (DeviceIdentity.secret("random")) into every
   * later output: asked and mixed at the next draw, not at boot, where
   * SHA-512 would load beside the boot's own code.
   */
  keyWith(secret: () => Bytes): void {
    this.mix = secret;
  }

  bytes(n: number): Bytes {
    if (this.failure !== undefined) throw new Error("RANDOM_FAILED " + this.failure);
    const fresh = this.source.bytes(DRAW);
    const f = healthFailure(fresh);
    if (f !== undefined || equal(fresh, this.last)) {
      this.failure = f !== undefined ? f : "stuck output: the same bytes in two draws";
      throw new Error("RANDOM_FAILED " + this.failure);
    }
    this.last = fresh;
    const mix = this.mix;
    if (mix !== undefined) {
      this.mix = undefined;
      this.key = hmacSha512(mix(), this.key);
    }
    const out = alloc(n);
    for (let off = 0; off < n; off += 64) {
      this.draws++;
      const ctr = alloc(8);
      putU32(ctr, 0, this.boot);
      putU32(ctr, 4, this.draws);
      const block = hmacSha512(this.key, concat([ctr, fresh]));
      copyInto(out, off, block, 0, n - off < 64 ? n - off : 64);
    }
    return out;
  }
}
