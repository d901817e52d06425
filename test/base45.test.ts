// Base45 (RFC 9285): its examples, round trips, and strict rejection.
import { describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { base45Decode, base45Encode } from "../firmware/core/base45";

const ascii = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));
const decodeText = (s: string) => {
  const r = base45Decode(s);
  return r.ok ? Buffer.from(r.bytes).toString("utf8") : "error:" + r.error;
};

describe("Base45", () => {
  it("RFC 9285 examples both ways", () => {
    const examples: Array<[string, string]> = [
      ["AB", "BB8"],
      ["Hello!!", "%69 VD92EX0"],
      ["base-45", "UJCLQE7W581"],
      ["ietf!", "QED8WEX0"],
    ];
    for (const [plain, enc] of examples) {
      expect(base45Encode(ascii(plain))).toBe(enc);
      expect(decodeText(enc)).toBe(plain);
    }
    expect(decodeText("")).toBe("");
  });

  it("round-trips random bytes of every length up to 200", () => {
    for (let n = 0; n <= 200; n++) {
      const b = new Uint8Array(randomBytes(n));
      const r = base45Decode(base45Encode(b));
      expect(r.ok && Buffer.from(r.bytes).equals(Buffer.from(b)), `length ${n}`).toBe(true);
    }
  });

  it("rejects bad characters, lengths and overflows with typed errors", () => {
    expect(decodeText("bb8")).toBe("error:BAD_CHAR"); // lower case
    expect(decodeText("BB#")).toBe("error:BAD_CHAR");
    expect(decodeText("BB\u00e9")).toBe("error:BAD_CHAR");
    expect(decodeText("B")).toBe("error:BAD_LENGTH");
    expect(decodeText("BB8B")).toBe("error:BAD_LENGTH");
    expect(decodeText("GGW")).toBe("error:OVERFLOW"); // 65536
    expect(base45Decode("FGW").ok).toBe(true);
    expect(decodeText(":6")).toBe("error:OVERFLOW"); // 44 + 6*45 = 314 > 255
    expect(base45Decode("U5").ok).toBe(true); // 30 + 5*45 = 255
  });

  it("refuses output beyond the size limit before allocating", () => {
    expect(base45Decode("000".repeat(2049)).ok).toBe(false);
    expect(base45Decode("000".repeat(2048)).ok).toBe(true);
    const r = base45Decode("000".repeat(10), 10);
    expect(r.ok ? "ok" : r.error).toBe("TOO_LONG");
  });
});
