// Who may import whom (issue 13): the firmware stands alone; the issuer
// library (host/issuer) stands on the firmware only; the simulator on the
// firmware and the issuer library, never on the CLI (host/src) or the build;
// the CLI and the build reach the simulator only through its front door,
// sim/index.ts. Read from the real import lines of every source file.
import { expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Every relative import of every tracked .ts file, as [from file, to file] (repository paths, no extension). */
function imports(): [string, string][] {
  const files = execFileSync("git", ["ls-files", "*.ts"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
  const out: [string, string][] = [];
  for (const f of files) {
    const text = readFileSync(join(ROOT, f), "utf8");
    for (const m of text.matchAll(/(?:from\s+|import\(\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
      out.push([f, relative(ROOT, resolve(ROOT, dirname(f), m[1])).replace(/\.(ts|js)$/, "")]);
    }
  }
  return out;
}

const under = (p: string, dir: string) => p === dir || p.startsWith(dir + "/");

function breaches(from: string, allowed: (to: string) => boolean): string[] {
  return imports()
    .filter(([f, to]) => under(f, from) && !allowed(to))
    .map(([f, to]) => `${f} -> ${to}`);
}

it("the firmware imports nothing from the host, the simulator or the tests", () => {
  expect(breaches("firmware", (to) => under(to, "firmware"))).toEqual([]);
});

it("the issuer library imports only itself and the firmware", () => {
  expect(breaches("host/issuer", (to) => under(to, "host/issuer") || under(to, "firmware"))).toEqual([]);
});

it("the simulator never imports the CLI or the build", () => {
  expect(breaches("sim", (to) => !under(to, "host/src") && !under(to, "host/build"))).toEqual([]);
});

it("the CLI and the build reach the simulator only through sim/index", () => {
  const back = (to: string) => !under(to, "sim") || to === "sim/index";
  expect([...breaches("host/src", back), ...breaches("host/build", back)]).toEqual([]);
});
