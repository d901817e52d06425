// The README's newcomer path, as written: its `pindai` commands run one by
// one (in a temp folder standing for the clone), then the card it made is
// read through `pindai emulate pn532` on a real pty. A README edit that
// breaks the path breaks this test.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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

const inDir = (args: string[]) => args.map((a) => (a.startsWith("local/") || a.startsWith("agency/") ? join(dir, a) : a));
const BIN = join(process.cwd(), "host/bin/pindai.js");

/** The real command, spawned (stdin a pipe kept open), its exit and output. */
function spawned(args: string[], o: { untilErr?: RegExp } = {}): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn("node", [BIN, ...args], { cwd: process.cwd(), stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let stopped = false;
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => {
    err += d;
    if (!stopped && o.untilErr?.test(err)) (stopped = true), child.kill("SIGTERM"); // up and running: Ctrl-C, once
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  return new Promise((resolve) => child.on("close", (code) => (clearTimeout(timer), resolve({ code, out, err }))));
}

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

  it("an agency's first day, as written: keys, the root's public key in the build config, the build, flash with --image, the fleet; the Lua line's image; the pasteable pindai run", async () => {
    const lines = shBlock(readme, "## An agency's first day");
    // The fleet's database goes into the test's folder, not the user's data folder.
    process.env.PINDAI_DB = join(dir, "fleet-db");
    expect(lines.some((l) => /pubkey agency\/root\.json --out agency\/root\.pub\.json/.test(l))).toBe(true);
    const vars: Record<string, string> = {};
    for (const raw of lines) {
      const line = raw.replace(/\$(\w+)/g, (_, v) => vars[v] ?? "");
      const w = words(line);
      const assign = /^(\w+)=(\S+)$/.exec(line);
      if (assign) {
        vars[assign[1]] = assign[2];
        continue;
      }
      if (w[0] === "mkdir") {
        mkdirSync(join(dir, w[2]), { recursive: true });
        continue;
      }
      if (w[0] === "echo") {
        const m = /^echo '(.*)' > (\S+)$/.exec(line)!;
        const cfg = JSON.parse(m[1]);
        expect(cfg.roots.every((r: string) => r.endsWith(".pub.json")), "the build config names the root's public key file only").toBe(true);
        cfg.roots = inDir(cfg.roots);
        writeFileSync(join(dir, m[2]), JSON.stringify(cfg));
        continue;
      }
      if (w[0] === "npm") {
        expect(w.slice(0, 4), line).toEqual(["npm", "run", "build", "--"]);
        const r = spawnSync(join(process.cwd(), "node_modules/.bin/tsx"), ["host/build/build.ts", ...inDir(w.slice(4))], { encoding: "utf8", timeout: 400_000 });
        expect(r.status, line + "\n" + r.stderr).toBe(0);
        continue;
      }
      expect(w.slice(0, 2), line).toEqual(["npx", "pindai"]);
      const r = await runCli(...inDir(w.slice(2)));
      if (/--label north/.test(line) && !/\/dev\/tty/.test(line)) {
        // No port here, so no device was ever enrolled under the label: one line that names it
        // (pull-logs tried to reach them: 1; logs asked the database for an unknown label: 2).
        expect(r.code, `${line}\n${r.err}`).toBe(w[3] === "logs" ? 2 : 1);
        expect(r.err, line).toMatch(/device labelled north/);
      } else if (/\/dev\/tty/.test(line)) {
        // No device on this machine: everything up to the port is right (files read, image found), and the port is named.
        expect(r.code, `${line}\n${r.err}`).toBe(1);
        expect(r.err, line).toMatch(/\/dev\/ttyACM\d: .*no such port|cannot open \/dev\/ttyACM\d: no such port/);
        expect(r.err, line).not.toMatch(/cannot read|usage|unknown option/);
      } else expect(r.code, `${line}\n${r.err}`).toBe(0);
    }

    delete process.env.PINDAI_DB;

    // The Lua line names the image the build made, and a flash folder: the image answers on its admin line.
    const lua = /EXEC:"(lua5\.4 [^"]+)"/.exec(readme.slice(readme.indexOf("The Lua image the build above made")))![1].split(" ");
    const image = lua[lua.length - 1];
    expect(existsSync(join(dir, image)), `${image} exists after the agency's build`).toBe(true);
    if (haveTool("lua5.4")) {
      const flashDir = join(dir, lua[lua.indexOf("--flash") + 1]);
      mkdirSync(flashDir, { recursive: true });
      const r = spawnSync("lua5.4", [...lua.slice(1, -1).map((a) => (a.startsWith("agency/") ? join(dir, a) : a)), join(dir, image)], { input: "VERSION\n", encoding: "utf8", timeout: 60_000 });
      expect(r.stdout + r.stderr).toMatch(/OK pindai 1\.0\.0/);
    }

    // pindai run, pasted as it is: it starts on standard input, says it runs, and stops cleanly on Ctrl-C.
    const run = shBlock(readme, "## A Linux-class device");
    expect(run.length).toBe(1);
    const r = await spawned(inDir(words(run[0]).slice(2)), { untilErr: /running: .*Ctrl-C stops it/ });
    expect(r.err).toMatch(/pindai 1\.0\.0 running: scans from stdin/);
    expect(r.code, r.err).toBe(0);
  }, 600_000);
});
