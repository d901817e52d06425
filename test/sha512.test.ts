// The portable SHA-512 against FIPS 180-4 examples and node:crypto.
import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { sha512 } from "../firmware/core/sha512";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const ref = (b: Uint8Array) => createHash("sha512").update(b).digest("hex");
const ascii = (s: string) => new Uint8Array(Buffer.from(s, "ascii"));

describe("SHA-512", () => {
  it("FIPS 180-4 examples", () => {
    expect(hex(sha512(ascii("abc")))).toBe(
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    );
    expect(hex(sha512(new Uint8Array(0)))).toBe(
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    );
    const m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    expect(hex(sha512(ascii(m896)))).toBe(
      "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
    );
  });

  it("every length 0..300 (all padding cases) matches node:crypto", () => {
    for (let n = 0; n <= 300; n++) {
      const m = new Uint8Array(n).map((_, i) => (i * 131 + n * 7) & 255);
      expect(hex(sha512(m)), `length ${n}`).toBe(ref(m));
    }
  });

  it("a 1 MB random message matches node:crypto", () => {
    const m = new Uint8Array(randomBytes(1 << 20));
    expect(hex(sha512(m))).toBe(ref(m));
  });
});
