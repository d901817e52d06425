// The README's newcomer path, as written: its `pindai` commands run one by
// one (in a temp folder standing for the clone), then the card it made is
// read through `pindai emulate pn532` on a real pty. A README edit that
// breaks the path breaks this test.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { runCli } from "./support/cli";
import { haveTool } from "./support/tools";

const HAVE_SOCAT = haveTool("socat");
const HAVE_GIT = haveTool("git");
const dir = mkdtempSync(join(tmpdir(), "pindai-readme-"));

/** The first sh block after `heading`, as commands (continuations joined, comments dropped). */
function shBlock(readme: string, heading: string): string[] {
  const from = readme.indexOf(heading);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(from))![1];
  return block
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l !== "");
}

/** Words of a command line: spaces split, double quotes group. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

const inDir = (args: string[]) => args.map((a) => (a.startsWith("local/") ? join(dir, a) : a));

describe("README: the newcomer's path", () => {
  const readme = readFileSync("README.md", "utf8");

  it("its pindai commands run as written: keys, a key set with a card key, a code with --iss that verifies OK, a card", async () => {
    const lines = shBlock(readme, "## The `pindai` command");
    expect(lines.some((l) => l.includes("--usage card"))).toBe(true);
    for (const line of lines) {
      const w = words(line);
      if (w[0] === "mkdir") {
        mkdirSync(join(dir, w[2]), { recursive: true });
        continue;
      }
      expect(w.slice(0, 2), line).toEqual(["npx", "pindai"]);
      const r = await runCli(...inDir(w.slice(2)));
      expect(r.code, `${line}\n${r.err}`).toBe(0);
      expect(r.err, line).not.toMatch(/warning/);
      if (w[2] === "verify") {
        expect(r.out).toMatch(/^OK\n/);
        expect(r.out).toContain("issuer: Disdukcapil Kota Bandung");
      }
    }
  });

  it.runIf(HAVE_SOCAT)("the card it made reads OK through pindai emulate pn532 (a real pty), as the README says", async () => {
    const emu = shBlock(readme, "To read the card through a PN532");
    const read = shBlock(readme, "and in another terminal read the card");
    expect(emu.length).toBe(1);
    const child = spawn("node", [join(process.cwd(), "host/bin/pindai.js"), ...inDir(words(emu[0]).slice(2)), "--seconds", "60"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((res) => child.on("close", (code) => res(code)));
    try {
      const port = await new Promise<string>((res, rej) => {
        createInterface({ input: child.stdout! }).once("line", res);
        child.once("close", () => rej(new Error("emulate exited before printing its port")));
      });
      expect(port).toMatch(/^\/dev\/pts\/\d+$/);
      const args = inDir(words(read[0]).slice(2)).map((a) => (a.startsWith("/dev/pts/") ? port : a));
      const r = await runCli(...args);
      expect(r.code, r.out + r.err).toBe(0);
      expect(r.out).toMatch(/^OK\n/);
      expect(r.out).toContain("card: KTP-0001");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0); // Ctrl-C / SIGTERM is a clean stop
  }, 60_000);

  it.runIf(HAVE_GIT)("a secret key written inside a git work tree warns unless git ignores it", async () => {
    const repo = join(dir, "repo");
    mkdirSync(repo);
    expect(spawnSync("git", ["init", "-q", repo]).status).toBe(0);
    const open = await runCli("keygen", "--usage", "qr", "--out", join(repo, "k.json"));
    expect(open.code).toBe(0);
    expect(open.err).toMatch(/^warning: .*k\.json holds a secret key and is inside the git work tree/);
    writeFileSync(join(repo, ".gitignore"), "/local/\n");
    mkdirSync(join(repo, "local"));
    const ignored = await runCli("keygen", "--usage", "qr", "--out", join(repo, "local", "k.json"));
    expect(ignored.code).toBe(0);
    expect(ignored.err).toBe("");
    const pub = await runCli("pubkey", join(repo, "k.json"), "--out", join(repo, "k.pub.json")); // no secret: no warning
    expect(pub.err).toBe("");
  });

  it("every command answers --help with exit 0; pindai card alone is a usage error; --version", async () => {
    for (const c of ["keygen", "pubkey", "keyset", "issue", "verify", "card", "emulate", "sim", "flash", "flash-lua"]) {
      const r = await runCli(c, "--help");
      expect(r.code, c).toBe(0);
      expect(r.out, c).toMatch(new RegExp(`^pindai ${c}`));
    }
    expect((await runCli("card")).code).toBe(2);
    const bare = await runCli();
    expect(bare.code).toBe(2);
    expect(bare.err).toBe("pindai: expected a COMMAND (listed above)");
    const v = await runCli("--version");
    expect(v.code).toBe(0);
    expect(v.out).toBe(`pindai ${JSON.parse(readFileSync("package.json", "utf8")).version}`);
  });
});
