// docs/vectors/admin.json pins the admin protocol's bytes: the device and the
// host tools must produce exactly these lines (regenerate with
// `npx tsx test/support/write-admin-vectors.ts` only when SPEC section 6 changes).
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { adminVectors } from "./support/admin-vectors";
import { checkAnswer, checkChange } from "../host/issuer/device-client";
import { mapGet, mapUint } from "../firmware/core/cbor";

describe("admin protocol vectors", () => {
  const committed = JSON.parse(readFileSync("docs/vectors/admin.json", "utf8"));
  const made = adminVectors();

  it("the device and the host tools produce the committed lines byte for byte", () => {
    expect(made).toEqual(committed);
  });

  it("the signed answers check against the device's key, as SPEC section 6.5 says", () => {
    const [, id, pub] = committed.exchanges[0].reply.split(" ");
    const dev = Buffer.from(id, "hex");
    const key = Buffer.from(pub, "hex");
    const at = (note: RegExp) => committed.exchanges.findIndex((e: { note: string }) => note.test(e.note));
    const reply = (note: RegExp) => committed.exchanges[at(note)].reply as string;
    const status = reply(/^STATUS signed/);
    const body = checkAnswer(status.slice(3), dev, key, Buffer.from("000102030405060708090a0b0c0d0e0f", "hex"), "STATUS");
    expect(mapUint(body, 2)).toBe(1); // key set version
    expect(mapUint(body, 4)).toBe(1); // clock trusted
    expect(reply(/^an unsigned TIME/)).toMatch(/^ERR SIGNATURE_REQUIRED/);
    expect(reply(/^the same line again/)).toMatch(/^ERR STALE_NONCE/);
    expect(reply(/not trusted: refused/)).toMatch(/^ERR CLOCK_NOT_TRUSTED/);
    // Changes: the words, then the device's signature over the challenge or the nonce, with the STATUS after the change.
    const ks = checkChange(reply(/^the key set/).slice(3), dev, key, Buffer.from("101112131415161718191a1b1c1d1e1f", "hex"), "KEYSET");
    expect(ks.words).toBe("INSTALLED 1");
    expect(ks.status).toMatchObject({ keyset: 1, trusted: false });
    const nonceBefore = (i: number) => Buffer.from(committed.exchanges[i - 1].reply.slice(3), "hex");
    const t = at(/^TIME 1800000000 signed by the root/);
    expect(checkChange(committed.exchanges[t].reply.slice(3), dev, key, nonceBefore(t), "TIME")).toMatchObject({ words: "TIME 1800000000", status: { trusted: true, rtc: 1800000000 } });
    const c = at(/^CONFIG/);
    expect(checkChange(committed.exchanges[c].reply.slice(3), dev, key, nonceBefore(c), "CONFIG")).toMatchObject({ words: "CONFIG id 10000", status: { lang: "id" } });
    expect(() => checkChange(committed.exchanges[c].reply.slice(3), dev, key, nonceBefore(t), "CONFIG")).toThrow(/another challenge/);
    const l = at(/^LOG/);
    const lb = checkAnswer(committed.exchanges[l].reply.slice(3), dev, key, nonceBefore(l), "LOG");
    expect(mapGet(lb, 1)?.items?.length).toBe(1); // the TIME record
    // SCREEN: {1: width, 2: height, 3: colour, 4: ops [x, y, w, h, ink, font + 1, text]} (firmware/app/layout-cbor.ts)
    const screen = committed.exchanges.findIndex((e: { note: string }) => e.note.startsWith("SCREEN"));
    const sb = checkAnswer(committed.exchanges[screen].reply.slice(3), Buffer.from(id, "hex"), Buffer.from(pub, "hex"), Buffer.from(committed.exchanges[screen - 1].reply.slice(3), "hex"), "SCREEN");
    expect([mapUint(sb, 1), mapUint(sb, 2), mapUint(sb, 3)]).toEqual([128, 64, 0]);
    const texts = (mapGet(sb, 4)?.items ?? []).filter((op) => op.items![5].int! > 0).map((op) => op.items![6].text);
    expect(texts).toContain("SIAP"); // READY, in the language the CONFIG before it chose
    expect(texts).toContain("ID " + id.slice(-4));
  });
});
