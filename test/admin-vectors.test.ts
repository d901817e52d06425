// docs/vectors/admin.json pins the admin protocol's bytes: the device and the
// host tools must produce exactly these lines (regenerate with
// `npx tsx test/support/write-admin-vectors.ts` only when SPEC section 6 changes).
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { adminVectors } from "./support/admin-vectors";
import { checkAnswer } from "../host/issuer/device-client";
import { mapGet, mapUint } from "../firmware/core/cbor";

describe("admin protocol vectors", () => {
  const committed = JSON.parse(readFileSync("docs/vectors/admin.json", "utf8"));
  const made = adminVectors();

  it("the device and the host tools produce the committed lines byte for byte", () => {
    expect(made).toEqual(committed);
  });

  it("the signed answers check against the device's key, as SPEC section 6.5 says", () => {
    const [, id, pub] = committed.exchanges[0].reply.split(" ");
    const status = committed.exchanges.find((e: { request: string }) => e.request.startsWith("STATUS 00"));
    const body = checkAnswer(status.reply.slice(3), Buffer.from(id, "hex"), Buffer.from(pub, "hex"), Buffer.from("000102030405060708090a0b0c0d0e0f", "hex"), "STATUS");
    expect(mapUint(body, 2)).toBe(1); // key set version
    expect(mapUint(body, 4)).toBe(1); // clock trusted
    expect(committed.exchanges[1].reply).toMatch(/^ERR SIGNATURE_REQUIRED/);
    expect(committed.exchanges[5].reply).toMatch(/^ERR STALE_NONCE/);
    const log = committed.exchanges[committed.exchanges.length - 1];
    const nonce = committed.exchanges[committed.exchanges.length - 2].reply.slice(3);
    const lb = checkAnswer(log.reply.slice(3), Buffer.from(id, "hex"), Buffer.from(pub, "hex"), Buffer.from(nonce, "hex"), "LOG");
    expect(mapGet(lb, 1)?.items?.length).toBe(1); // the TIME record
    // SCREEN: {1: width, 2: height, 3: colour, 4: ops [x, y, w, h, ink, font + 1, text]} (firmware/app/layout-cbor.ts)
    const screen = committed.exchanges.findIndex((e: { note: string }) => e.note.startsWith("SCREEN"));
    const sb = checkAnswer(committed.exchanges[screen].reply.slice(3), Buffer.from(id, "hex"), Buffer.from(pub, "hex"), Buffer.from(committed.exchanges[screen - 1].reply.slice(3), "hex"), "SCREEN");
    expect([mapUint(sb, 1), mapUint(sb, 2), mapUint(sb, 3)]).toEqual([128, 64, 0]);
    const texts = (mapGet(sb, 4)?.items ?? []).filter((op) => op.items![5].int! > 0).map((op) => op.items![6].text);
    expect(texts).toContain("READY");
    expect(texts).toContain("ID " + id.slice(-4));
  });
});
