// The pieces of a verification, one call each, for the per-runtime profile of
// npm run bench: the host times N calls against one call on each runtime.
import { alloc } from "../firmware/core/bytes";
import { fe, mul, add } from "../firmware/core/field25519";
import { sha512 } from "../firmware/core/sha512";

const A = fe([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
const B = fe([0xffff, 0xfffe, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x7fff]);

/** n field multiplications (the product feeds the next, as in a chain). */
export function fieldMuls(n: string): string {
  const r = fe();
  mul(r, A, B);
  for (let i = 1; i < Math.floor(Number(n)); i++) mul(r, r, B);
  return String(r[0]);
}

/** n field additions. */
export function fieldAdds(n: string): string {
  const r = fe();
  for (let i = 0; i < Math.floor(Number(n)); i++) add(r, A, B);
  return String(r[0]);
}

/** SHA-512 of a message of the given length (264 bytes: what one verification hashes for a 200-byte message). */
export function sha512Of(length: string): string {
  const m = alloc(Math.floor(Number(length)));
  return String(sha512(m)[0]);
}
