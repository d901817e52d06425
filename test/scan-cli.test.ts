// pindai scan on the committed camera frames, and verify --image on a frame
// with two codes: exit codes, one-line errors, --json, --decoder.
import { describe, expect, it } from "vitest";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli as run } from "./support/cli";
import type { VectorEntry } from "../sim/camera/make-vectors";
import { greyPng } from "../sim/camera/make-vectors";
import { twoCodesFrame } from "../sim/camera/scenes";
import { withDefaults } from "../sim/camera/synth";

const DIR = join(__dirname, "vectors/camera");
const manifest: VectorEntry[] = JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8"));
const tmp = mkdtempSync(join(tmpdir(), "pindai-scan-"));

describe("pindai scan", () => {
  it("--help prints the usage (exit 0); the command is listed", async () => {
    const r = await run("scan", "--help");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^pindai scan --image FILE\|DIR/);
    expect((await run("--help")).out).toMatch(/scan +print the text/);
  });

  it("a frame with two codes: both texts, each with its decoder (exit 0)", async () => {
    const r = await run("scan", "--image", join(DIR, "two-codes.png"));
    expect(r.code, r.err).toBe(0);
    const pd1 = manifest.find((e) => e.file === "two-codes.png")!.expect!;
    expect(r.out.split("\n").sort()).toEqual([`${join(DIR, "two-codes.png")}: [zxing] HTTPS://EXAMPLE.ORG/PINDAI`, `${join(DIR, "two-codes.png")}: [zxing] ${pd1}`].sort());
  });

  it("a folder with --json: one object per image, the expected codes, exit 1 for the images without one", async () => {
    const r = await run("scan", "--image", DIR, "--json");
    expect(r.code).toBe(1);
    const lines = r.out.split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file)).toEqual(manifest.map((e) => join(DIR, e.file)).sort());
    for (const l of lines) {
      const e = manifest.find((m) => join(DIR, m.file) === l.file)!;
      expect(l.decoder).toBe("zxing");
      expect(typeof l.ms).toBe("number");
      if (e.expect === null) expect(l.codes).toEqual([]);
      else expect(l.codes).toContainEqual({ text: e.expect, shown: true });
    }
  });

  it("--decoder all runs zxing and jsqr on each image; jsQR's empty text for a binary code is marked not shown", async () => {
    const r = await run("scan", "--image", join(DIR, "binary-code.png"), "--decoder", "all");
    expect(r.code).toBe(0);
    expect(r.out.split("\n")).toEqual([`${join(DIR, "binary-code.png")}: [zxing] no code`, `${join(DIR, "binary-code.png")}: [jsqr] ""  (not shown by a device)`]);
    const j = await run("scan", "--image", join(DIR, "code-640-pitch-only.png"), "--decoder", "jsqr", "--json");
    expect(JSON.parse(j.out)).toMatchObject({ decoder: "jsqr", codes: [{ shown: true }] });
  });

  it("where WebAssembly does not run, jsQR reads the code and one warning says so", () => {
    const file = join(DIR, "code-640-pitch-only.png");
    const r = spawnSync(process.execPath, ["--no-expose-wasm", join(__dirname, "../host/bin/pindai.js"), "scan", "--image", file], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${file}: [jsqr] ${manifest.find((e) => e.file === "code-640-pitch-only.png")!.expect}\n`);
    expect(r.stderr).toBe("warning: zxing unavailable (no WebAssembly in this runtime), using jsqr\n");
    const all = spawnSync(process.execPath, ["--no-expose-wasm", join(__dirname, "../host/bin/pindai.js"), "scan", "--image", file, "--decoder", "all"], { encoding: "utf8" });
    expect(all.status).toBe(2);
    expect(all.stderr).toBe("pindai scan: --decoder all: zxing cannot run here (no WebAssembly in this runtime)\n");
  });

  it("usage errors exit 2, unreadable images 1, with one line; the other images are still read", async () => {
    for (const [code, ...argv] of [[1, "scan", "--image", join(tmp, "missing.png")], [2, "scan"], [2, "scan", "--image", DIR, "--decoder", "zbar"], [2, "scan", "--image", DIR, "extra"], [2, "scan", "--bogus"]] as const) {
      const r = await run(...argv);
      expect(r.code, argv.join(" ")).toBe(code);
      expect(r.err.split("\n"), argv.join(" ")).toHaveLength(1);
      expect(r.err).toMatch(/^pindai scan: /);
    }
    const mixed = mkdtempSync(join(tmpdir(), "pindai-scan-mixed-"));
    writeFileSync(join(mixed, "a-broken.png"), "not a png at all");
    writeFileSync(join(mixed, "notes.txt"), "ignored");
    copyFileSync(join(DIR, "url-code.png"), join(mixed, "b.png"));
    const r = await run("scan", "--image", mixed);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pindai scan: .*a-broken\.png: /);
    expect(r.out).toBe(`${join(mixed, "b.png")}: [zxing] HTTPS://EXAMPLE.ORG/PINDAI`);
    const empty = mkdtempSync(join(tmpdir(), "pindai-scan-empty-"));
    expect((await run("scan", "--image", empty)).code).toBe(2);
  });
});

describe("pindai verify --image", () => {
  it("of two codes in a photo, verifies the pindai one", async () => {
    expect((await run("keygen", "--usage", "root", "--out", join(tmp, "root.json"))).code).toBe(0);
    expect((await run("keygen", "--usage", "qr", "--out", join(tmp, "qr.json"))).code).toBe(0);
    expect((await run("keyset", "--root", join(tmp, "root.json"), "--version", "1", "--key", join(tmp, "qr.json"), "--out", join(tmp, "ks.cbor"))).code).toBe(0);
    const issued = await run("issue", "--key", join(tmp, "qr.json"), "--nik", "3201014512900001", "--name", "Budi Santoso", "--dob", "1985-07-17", "--sex", "L");
    expect(issued.code, issued.err).toBe(0);
    const code = issued.out.trim();
    writeFileSync(join(tmp, "two.png"), greyPng(twoCodesFrame("HTTPS://EXAMPLE.ORG/POSTER", code, withDefaults({ scale: 0.5, noise: 6 }), 9)));
    const r = await run("verify", "--root", join(tmp, "root.json"), "--keyset", join(tmp, "ks.cbor"), "--json", "--image", join(tmp, "two.png"));
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ verdict: "OK", name: "Budi Santoso" });
    const none = await run("verify", "--root", join(tmp, "root.json"), "--keyset", join(tmp, "ks.cbor"), "--image", join(DIR, "none-hand.png"));
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/no QR code found/);
  });
});
