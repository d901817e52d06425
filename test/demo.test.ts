// npm start's demo runs to the end and shows each step it promises.
import { expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

it("the demo walks a device through provisioning, QR and card verdicts, and writes the screens", () => {
  const out = mkdtempSync(join(tmpdir(), "pindai-demo-"));
  const r = spawnSync("npx", ["tsx", "sim/demo.ts"], { encoding: "utf8", env: { ...process.env, PINDAI_DEMO_OUT: out } });
  expect(r.status, r.stdout + r.stderr).toBe(0);
  const text = r.stdout.replace(/\x1b\[[0-9;]*m/g, "");
  expect(text).toContain("Demo selesai."); // the narration in the screens' language (id by default)
  for (const s of ["Alat belum diisi kunci penerbit", "Nama: Siti Aminah", "Kode ini sudah dipakai", "ERR SIGNATURE_REQUIRED", "Kode kedaluwarsa",
    "Tanda tangan palsu", "Kartu: KTP-0001", "Kartu tidak asli", "Jam alat belum diatur", "OK INSTALLED 1"]) {
    expect(text).toContain(s);
  }
  expect(text).not.toContain("3201014512900001"); // the whole NIK is never shown or logged
  expect(readdirSync(out).filter((f) => f.startsWith("step-"))).toHaveLength(10);
});

it("npm start -- --lang en: English screens and English narration", () => {
  const out = mkdtempSync(join(tmpdir(), "pindai-demo-en-"));
  const r = spawnSync("npx", ["tsx", "sim/demo.ts", "--lang", "en"], { encoding: "utf8", env: { ...process.env, PINDAI_DEMO_OUT: out } });
  expect(r.status, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).not.toMatch(/\x1b\[/); // not a terminal: no colour
  for (const s of ["No issuer keys installed", "Name: Siti Aminah", "The agency provisions it", "Two minutes later", "Demo complete."]) expect(r.stdout).toContain(s);
  for (const s of ["Kode kedaluwarsa", "Instansi mengisi", "Demo selesai."]) expect(r.stdout).not.toContain(s);
});
