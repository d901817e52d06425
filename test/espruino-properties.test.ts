// The Espruino image's short property names (host/build/espruino-properties.js):
// the firmware's own long names become 2-character ones, and every name that
// code outside the firmware reads by name stays, on a program made for it and
// on the flashed image itself.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { build } from "../host/build/build";
// @ts-expect-error plain JS module
import { ownPropertyNames, shortenProperties } from "../host/build/espruino-properties.js";
import { IMAGE_FILE, espruinoStorageFiles } from "../host/src/flash-espruino";

const PROGRAM = `
declare const E: any;
declare const Serial1: any;
interface Settings { displayMs: number; brightness: number }
interface SerialLike { setup(baud: number): void; received: number }
class Counter {
  private counted = 0;
  countOne(): number { return ++this.counted; }
}
const settings: Settings = { displayMs: 5000, brightness: 3 };
// Handed to Espruino: its names are Espruino's.
E.setConsole(null, { forced: true, settings });
// An Espruino object described by an interface of ours: its names are Espruino's.
const port = Serial1 as SerialLike;
port.setup(9600);
// Read on a value typed any somewhere: not ours alone.
const anyThing: any = {};
anyThing.countOne;
// Named by a string.
const named = { lookedUp: 1 };
const key = "lookedUp";
export const out = new Counter().countOne() + settings.displayMs + (named as Record<string, number>)[key] + port.received;
`;

describe("the firmware's own property names, read from TypeScript's checker", () => {
  const dir = mkdtempSync(join(tmpdir(), "pindai-props-"));
  const entry = join(dir, "entry.ts");
  writeFileSync(entry, PROGRAM);
  const { names, kept } = ownPropertyNames(entry) as { names: string[]; kept: Map<string, string> };

  it("are the members only the firmware declares and reads", () => {
    expect(names).toContain("counted");
    expect(names).not.toContain("countOne"); // read on any
    expect(kept.get("countOne")).toBe("access on any or library");
  });

  it("keep what goes to Espruino, what Espruino hands over, and what a string names", () => {
    for (const n of ["forced", "settings", "displayMs", "brightness"]) expect(names, n).not.toContain(n);
    // (The nested settings object inside the options handed to E keeps its names too.)
    for (const n of ["forced", "settings", "displayMs", "brightness"]) expect(kept.get(n), n).toMatch(/any/);
    for (const n of ["setup", "received"]) expect(kept.get(n), n).toBe("cast from any");
    expect(kept.get("lookedUp")).toBe("a string");
  });

  it("rename every place a name is written, quoted keys included, and leave strings alone", () => {
    const code = 'var a={counted:1,"counted":2};a.counted++;var s="counted";a["other"]=a.counted;';
    // The bundle holds "counted" as a string: it stays.
    expect(shortenProperties(code, ["counted"]).code).toBe(code);
    const plain = 'var a={counted:1,"shown":2};a.counted++;a.shown=a.counted+a.shown;';
    const { code: out, map } = shortenProperties(plain, ["counted", "shown"]);
    const [c, s] = [map.get("counted"), map.get("shown")];
    expect(c).toMatch(/^\$\w{1,2}$/);
    expect(out).toBe(`var a={${c}:1,${s}:2};a.${c}++;a.${s}=a.${c}+a.${s};`);
    // The program means the same: run both.
    expect(vm.runInNewContext(plain + "[a.counted,a.shown]")).toEqual(vm.runInNewContext(out + `[a.${c},a.${s}]`));
  });
});

describe("the flashed Espruino image", () => {
  it("holds none of the firmware's own long property names, and keeps Espruino's", async () => {
    const img = await build({ roots: ["ab".repeat(32)], version: "props", espruino: { display: { type: "ssd1306", sda: "D4", scl: "D5" } } }, mkdtempSync(join(tmpdir(), "pindai-props-img-")), () => {}, ["espruino"]);
    const files = espruinoStorageFiles(readFileSync(img.espruino, "latin1"));
    const all = files.map((f) => f.data).join("\n");
    const image = files.find((f) => f.name === IMAGE_FILE)!.data;
    // The firmware's own: gone as property names (they were .scanEngine, .showVerdict, ...).
    for (const n of ["scanEngine", "showVerdict", "installKeyset", "clearAfterMs", "lastScreen"]) expect(all, n).not.toMatch(new RegExp("[.{,]" + n + "\\b"));
    // Espruino's and JavaScript's, which the image calls: still there.
    for (const n of ["setConsole", "createArrayBuffer", "prototype", "removeAllListeners"]) expect(all, n).toContain("." + n);
    expect(image.length).toBeGreaterThan(1000);
  }, 300_000);
});
