import { describe, expect, it } from "vitest";
import * as bytes from "../firmware/core/bytes";
import { buildLuaBundle, nativeRunner, wasmoonRunner, type LuaRunner } from "./support/lua";
import { haveTool } from "./support/tools";
import { buildEspruinoBundle, sandboxRunner } from "./support/espruino";
import * as entry from "./conformance/bytes-entry";

const UTF8_CASES: Array<[string, string]> = [
  ["68656c6c6f", "68656c6c6f"], // ascii
  ["c3a9", "c3a9"], // é
  ["e282ac", "e282ac"], // €
  ["f09f9880", "f09f9880"], // U+1F600 (surrogate pair on JS)
  ["c0af", "bad"], // overlong /
  ["e080af", "bad"], // overlong
  ["eda080", "bad"], // surrogate D800
  ["f4908080", "bad"], // above U+10FFFF
  ["c3", "bad"], // truncated
  ["e282", "bad"], // truncated
  ["80", "bad"], // lone continuation
  ["ff", "bad"],
];

describe("bytes on Node", () => {
  it("hex round trip and rejects bad hex", () => {
    expect(bytes.toHex(bytes.fromHex("00ff10Ab")!)).toBe("00ff10ab");
    expect(bytes.fromHex("abc")).toBeUndefined();
    expect(bytes.fromHex("zz")).toBeUndefined();
  });
  it("hex of a range is read in place, its bounds checked", () => {
    expect(entry.hexRange("KEYSET 0aFF 00", "7,11")).toBe("0aff:2");
    expect(entry.hexRange("KEYSET 0aFF", "7,11")).toBe("0aff:2");
    expect(entry.hexRange("KEYSET ", "7,7")).toBe(":0");
    expect(entry.hexRange("KEYSET 0aF", "7,10")).toBe("invalid"); // odd length
    expect(entry.hexRange("KEYSET 0a", "7,11")).toBe("invalid"); // past the end
    expect(entry.hexRange("KEYSET 0a", "9,7")).toBe("invalid"); // end before start
    expect(entry.hexRange("KEYSET 0a z", "7,11")).toBe("invalid"); // a space and a non-hex character inside
  });
  it("strict UTF-8", () => {
    for (const [hex, want] of UTF8_CASES) expect(entry.utf8(hex), hex).toBe(want);
    expect(bytes.utf8Decode(bytes.fromHex("f09f9880")!)).toBe("\u{1F600}");
  });
  it("equal compares content and length", () => {
    expect(bytes.equal(bytes.fromHex("0102")!, bytes.fromHex("0102")!)).toBe(true);
    expect(bytes.equal(bytes.fromHex("0102")!, bytes.fromHex("0103")!)).toBe(false);
    expect(bytes.equal(bytes.fromHex("0102")!, bytes.fromHex("010200")!)).toBe(false);
  });
});

async function checkRunner(runner: LuaRunner) {
  const calls: Array<[string, ...string[]]> = [
    ["roundTrip", "0102ff"],
    ["roundTrip", "zz"],
    // Every size class of the Lua natives' allocBytes: 0 and 1 (a loop), 2-1024 (a constructor), above (a loop).
    ...["0", "1", "2", "5", "257", "1024", "1025", "1500"].map((n) => ["allocZero", n] as [string, string]),
    // Across the hashes' block sizes (64, 128) and their tails (55, 111 bytes and one more).
    ...["0,0", "3,0", "0,55", "40,16", "100,11", "100,12", "64,64", "127,2", "300,217"].map((n) => ["concatHashWrite", n] as [string, string]),
    ["hexRange", "KEYSET 0aFF 00", "7,11"],
    ["hexRange", "KEYSET 0aF", "7,10"],
    ["hexRange", "KEYSET 0a", "7,11"],
    ["hexRange", "KEYSET 0a z", "7,11"],
    ...UTF8_CASES.map(([hex]) => ["utf8", hex] as [string, string]),
  ];
  const got = await runner.callMany(calls);
  const want = calls.map(([fn, ...args]) => (entry as Record<string, (...a: string[]) => string>)[fn](...args));
  expect(got).toEqual(want);
}

describe("bytes on Lua", () => {
  it("wasmoon gives the same results as Node", async () => {
    const r = await wasmoonRunner(buildLuaBundle("test/conformance/bytes-entry.ts"));
    await checkRunner(r);
    r.close();
  });
  for (const bin of ["lua5.3", "lua5.4"]) {
    it(`${bin} gives the same results as Node`, async (ctx) => {
      if (!haveTool(bin)) return ctx.skip();
      await checkRunner(nativeRunner(bin, buildLuaBundle("test/conformance/bytes-entry.ts")));
    });
    it(`${bin} with the Lua natives (allocBytes, concatBytes) gives the same results as Node`, async (ctx) => {
      if (!haveTool(bin)) return ctx.skip();
      await checkRunner(nativeRunner(bin, buildLuaBundle("test/conformance/bytes-entry.ts", bin.slice(3), true)));
    });
  }
});

describe("bytes as an Espruino image", () => {
  it("the minified bundle in an Espruino-globals sandbox gives the same results as Node", async () => {
    await checkRunner(sandboxRunner(await buildEspruinoBundle("test/conformance/bytes-entry.ts")));
  });
});
