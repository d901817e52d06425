// What SHA-256 and SHA-512 (FIPS 180-4 Merkle-Damgard hashes) share: the
// padded tail of a message and the run over the blocks.
import { type Bytes, alloc } from "./bytes";

/**
 * 32-bit words: a hash's round constants or its message schedule. Typed as an
 * array, so that typescript-to-lua indexes it as one (Lua has no Uint32Array).
 */
export type Words = number[];

/**
 * These words (or n zeros) as a Uint32Array where the runtime has one: on
 * Espruino 4 bytes a word, where a plain array held one or two variables each
 * (about 500 for SHA-512's constants and schedule, on a board without the
 * native hash: a Pico, a Puck.js); else as a plain array (Lua).
 */
export function words(init: number[] | number): Words {
  if (typeof Uint32Array !== "undefined") return (typeof init === "number" ? new Uint32Array(init) : new Uint32Array(init)) as unknown as Words;
  if (typeof init !== "number") return init;
  const w: number[] = [];
  for (let i = 0; i < init; i++) w.push(0);
  return w;
}

/**
 * FIPS 180-4 5.1 padding: the bytes of `msg` after its last whole block
 * (from `full`), 0x80, zeros, and the length in bits big-endian in the last
 * `lengthBytes` bytes (8 for SHA-256, 16 for SHA-512); one or two blocks.
 */
function paddedTail(msg: Bytes, full: number, blockLen: number, lengthBytes: number): Bytes {
  const n = msg.length;
  const tailLen = n - full < blockLen - lengthBytes ? blockLen : 2 * blockLen;
  const tail = alloc(tailLen);
  for (let i = full; i < n; i++) tail[i - full] = msg[i];
  tail[n - full] = 0x80;
  const bitsHi = Math.floor(n / 536870912); // n * 8 / 2^32
  const bitsLo = (n % 536870912) * 8;
  for (let i = 0; i < 4; i++) {
    tail[tailLen - 1 - i] = Math.floor(bitsLo / Math.pow(256, i)) % 256;
    tail[tailLen - 5 - i] = Math.floor(bitsHi / Math.pow(256, i)) % 256;
  }
  return tail;
}

/** The state words, big-endian, as the digest. */
function wordsToBytes(st: number[]): Bytes {
  const out = alloc(4 * st.length);
  for (let i = 0; i < st.length; i++) {
    const w = st[i];
    out[4 * i] = w >>> 24;
    out[4 * i + 1] = (w >>> 16) & 255;
    out[4 * i + 2] = (w >>> 8) & 255;
    out[4 * i + 3] = w & 255;
  }
  return out;
}

/**
 * The whole hash: the state from `h0`, every whole block of `msg`, then the
 * padded tail (FIPS 180-4 6.2.2 / 6.4.2 around the `block` function).
 */
export function mdHash(msg: Bytes, h0: number[], blockLen: number, lengthBytes: number, block: (st: number[], m: Bytes, off: number) => void): Bytes {
  const st: number[] = [];
  for (let i = 0; i < h0.length; i++) st.push(h0[i]);
  const full = msg.length - (msg.length % blockLen);
  for (let off = 0; off < full; off += blockLen) block(st, msg, off);
  const tail = paddedTail(msg, full, blockLen, lengthBytes);
  for (let off = 0; off < tail.length; off += blockLen) block(st, tail, off);
  return wordsToBytes(st);
}
