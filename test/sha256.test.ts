// The portable SHA-256 against the FIPS 180-4 / NIST CAVP examples and node:crypto.
import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { kidOf, sha256 } from "../firmware/core/sha256";
import { kidOf as hostKidOf } from "../host/issuer/keyfile";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const ref = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const ascii = (s: string) => new Uint8Array(Buffer.from(s, "ascii"));

// NIST examples (test/vectors/sha256_nist.json), padding edge lengths included.
const NIST: Array<{ comment: string; msg: string; digest: string }> = JSON.parse(
  readFileSync(new URL("./vectors/sha256_nist.json", import.meta.url), "utf8"),
);

describe("SHA-256", () => {
  it("NIST examples", () => {
    expect(NIST).toHaveLength(13);
    for (const v of NIST) expect(hex(sha256(new Uint8Array(Buffer.from(v.msg, "hex")))), v.comment).toBe(v.digest);
  });

  it("one million 'a' (NIST long message)", () => {
    const m = new Uint8Array(1_000_000).fill(0x61);
    expect(hex(sha256(m))).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });

  it("every length 0..200 (all padding cases) and a random 100 KB message match node:crypto", () => {
    for (let n = 0; n <= 200; n++) {
      const m = new Uint8Array(n).map((_, i) => (i * 131 + n * 7) & 255);
      expect(hex(sha256(m)), `length ${n}`).toBe(ref(m));
    }
    const big = new Uint8Array(randomBytes(100_000));
    expect(hex(sha256(big))).toBe(ref(big));
  });

  it("kidOf is the host tools' kid: SHA-256(public key)[0:8]", () => {
    for (let i = 0; i < 5; i++) {
      const pub = new Uint8Array(randomBytes(32));
      expect(hex(kidOf(pub))).toBe(hex(hostKidOf(pub)));
      expect(hex(kidOf(pub))).toBe(ref(pub).slice(0, 16));
    }
  });
});
