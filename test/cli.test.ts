// The pindai command as an agency or issuer uses it, in a temp folder.
import { describe, expect, it, beforeAll } from "vitest";
import { mkdtempSync, statSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { runCli } from "./support/cli";

const run = runCli;

const dir = mkdtempSync(join(tmpdir(), "pindai-cli-"));
const f = (name: string) => join(dir, name);
const NOW = Math.floor(Date.now() / 1000);
let text = "";

describe("pindai CLI", () => {
  beforeAll(async () => {
    expect((await run("keygen", "--usage", "root", "--out", f("root.json"))).code).toBe(0);
    expect((await run("keygen", "--usage", "qr", "--out", f("issuer.json"))).code).toBe(0);
    expect((await run("pubkey", f("issuer.json"), "--out", f("issuer.pub.json"))).code).toBe(0);
    const ks = await run("keyset", "--root", f("root.json"), "--version", "1", "--key", f("issuer.pub.json"), "--out", f("ks.cbor"));
    expect(ks.code, ks.err).toBe(0);
    const issued = await run(
      "issue", "--key", f("issuer.json"), "--nik", "3201014512900001", "--name", "Budi Santoso",
      "--dob", "1985-07-17", "--sex", "L", "--qr", f("qr.png"), "--iat", String(NOW),
    );
    expect(issued.code, issued.err).toBe(0);
    text = issued.out.trim();
  });

  it("keygen writes a 0600 key file and refuses to overwrite one", async () => {
    expect(statSync(f("root.json")).mode & 0o777).toBe(0o600);
    const again = await run("keygen", "--usage", "root", "--out", f("root.json"));
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/exists/);
  });

  it("keyset refuses a key file whose kid is not SHA-256(public key)[0:8] (a device would refuse the set)", async () => {
    const k = JSON.parse(readFileSync(f("issuer.pub.json"), "utf8"));
    k.kid = (k.kid[0] === "0" ? "1" : "0") + k.kid.slice(1);
    writeFileSync(f("badkid.pub.json"), JSON.stringify(k));
    const r = await run("keyset", "--root", f("root.json"), "--version", "2", "--key", f("badkid.pub.json"), "--out", f("bad.cbor"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/kid .* is not SHA-256\(public key\)\[0:8\]/);
    expect(r.err.split("\n")).toHaveLength(1);
  });

  it("pubkey prints 64 hex and the public file has no secret", async () => {
    const r = await run("pubkey", f("issuer.json"));
    expect(r.out).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(readFileSync(f("issuer.pub.json"), "utf8")).secretKey).toBeUndefined();
  });

  it("issue prints a PD1: text; verify says OK with the holder's fields (exit 0)", async () => {
    expect(text).toMatch(/^PD1:[0-9A-Z $%*+\-./:]+$/);
    const root = (await run("pubkey", f("root.json"))).out;
    const r = await run("verify", "--root", root, "--keyset", f("ks.cbor"), text);
    expect(r.code).toBe(0);
    expect(r.out).toContain("OK");
    expect(r.out).toContain("Budi Santoso");
    expect(r.out).toContain("************0001");
    expect(r.out).not.toContain("3201014512900001");
  });

  it("verify --image reads the QR PNG through jsqr; --json prints one object", async () => {
    const r = await run("verify", "--root", f("root.json"), "--keyset", f("ks.cbor"), "--json", "--image", f("qr.png"));
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.verdict).toBe("OK");
    expect(j.name).toBe("Budi Santoso");
    expect(j.dob).toBe("1985-07-17");
  });

  it("two minutes later the same code is EXPIRED (exit 1)", async () => {
    const r = await run("verify", "--root", f("root.json"), "--keyset", f("ks.cbor"), "--at", String(NOW + 120), "--json", text);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual({ verdict: "EXPIRED", kid: expect.any(String) });
  });

  it("a key set from another root is an input error (exit 2), not a verdict", async () => {
    await run("keygen", "--usage", "root", "--out", f("root2.json"));
    const r = await run("verify", "--root", f("root2.json"), "--keyset", f("ks.cbor"), "--json", text);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/^pindai verify: key set .* is not usable with the given --root: .*UNKNOWN_KEY/);
  });

  it("usage errors exit 2, files that cannot be read exit 1, each with a one-line message (the rule in pindai --help)", async () => {
    const cases: Array<[1 | 2, ...string[]]> = [
      [2, "verify", "--keyset", f("ks.cbor"), text],
      [1, "verify", "--root", f("root.json"), "--keyset", f("missing.cbor"), text],
      [1, "verify", "--root", f("root.json"), "--keyset", f("ks.cbor"), "--image", f("missing.png")],
      [2, "issue", "--key", f("issuer.json"), "--nik", "123", "--name", "A", "--dob", "1990-01-01", "--sex", "L"],
      [2, "issue", "--key", f("root.json"), "--nik", "3201014512900001", "--name", "A", "--dob", "1990-01-01", "--sex", "L"],
      [2, "keyset", "--root", f("issuer.json"), "--version", "1", "--key", f("issuer.json"), "--out", f("x.cbor")],
      [2, "verify", "--bogus"],
      [2, "nonsense"],
    ];
    for (const [code, ...argv] of cases) {
      const r = await run(...argv);
      expect(r.code, argv.join(" ")).toBe(code);
      expect(r.err.split("\n")).toEqual([expect.stringMatching(/^pindai/)]);
    }
    const help = await run("--help");
    expect(help.out).toMatch(/Exit status, every command: 0 done .*; 1 something was tried and failed or was\s+refused: a port, a device, a file that cannot be read or written .*; 2 usage:/s);
    writeFileSync(f("garbage.png"), "not an image");
    const g = await run("verify", "--root", f("root.json"), "--keyset", f("ks.cbor"), "--image", f("garbage.png"));
    expect(g.code).toBe(2);
  });

  it("every command has --help", async () => {
    for (const c of ["keygen", "pubkey", "keyset", "issue", "verify"]) {
      const r = await run(c, "--help");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^pindai ${c}`));
    }
  });

  it("npx pindai runs the installed bin", () => {
    const r = spawnSync("npx", ["--no-install", "pindai", "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("usage: pindai COMMAND");
  });

  it("pindai help CMD is CMD --help; help for an unknown command is a usage error", async () => {
    const a = await run("help", "keyset");
    const b = await run("keyset", "--help");
    expect(a).toEqual(b);
    expect(a.out).toMatch(/^pindai keyset/);
    expect((await run("help", "frobnicate")).code).toBe(2);
  });

  it("completion bash|zsh: every command, and each command's subcommands and options from its own --help", async () => {
    const bash = await run("completion", "bash");
    expect(bash.code).toBe(0);
    expect(bash.out).toMatch(/^# pindai completion for bash/);
    expect(bash.out).toContain("complete -o filenames -F _pindai pindai");
    expect(bash.out).toMatch(/device\) words="id status time keyset logs screen lang display log-clear wipe unlock .*--admin-key.*--port/);
    expect(bash.out).toMatch(/sim\) words=".*--admin-port.*--replay.*--write-keys/);
    if (spawnSync("sh", ["-c", "command -v bash"]).status === 0) {
      // The script is valid bash, and completes "pindai dev" to device.
      const script = join(dir, "c.bash");
      writeFileSync(script, bash.out + '\nCOMP_WORDS=(pindai dev); COMP_CWORD=1; _pindai; echo "${COMPREPLY[@]}"\nCOMP_WORDS=(pindai flash --po); COMP_CWORD=2; _pindai; echo "${COMPREPLY[@]}"\n');
      const r = spawnSync("bash", [script], { encoding: "utf8" });
      expect(r.stdout.split("\n").slice(0, 2)).toEqual(["device", "--port"]);
    }
    const zsh = await run("completion", "zsh");
    expect(zsh.out).toMatch(/^#compdef pindai/);
    expect((await run("completion", "fish")).code).toBe(2);
  });

  it("PINDAI_PORT and PINDAI_ADMIN_KEY stand in for --port and --admin-key; a given option wins", async () => {
    const before = { ...process.env };
    try {
      process.env.PINDAI_PORT = join(dir, "no-such-port");
      process.env.PINDAI_ADMIN_KEY = f("issuer.json"); // a QR key: refused as an admin key, so it was read
      const r = await run("device", "time");
      expect(r.code).toBe(2);
      expect(r.err).toContain("is neither an admin nor a root key");
      delete process.env.PINDAI_ADMIN_KEY;
      const id = await run("device", "id");
      expect(id.code).toBe(1);
      expect(id.err).toBe(`pindai device: ${join(dir, "no-such-port")}: cannot open the port: no such port`);
      const given = await run("device", "id", "--port", join(dir, "other"));
      expect(given.err).toContain(join(dir, "other"));
    } finally {
      for (const k of ["PINDAI_PORT", "PINDAI_ADMIN_KEY"]) if (before[k] === undefined) delete process.env[k];
    }
  });

  it("no colour off a terminal or with NO_COLOR: pindai sim's screens are plain text through a pipe", () => {
    const r = spawnSync("node", ["host/bin/pindai.js", "sim"], { input: "phone\nquit\n", encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("Siti Aminah");
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });

  it("pindai scan gives a code's text exactly as encoded: control characters as they are (JSON escapes them), not zxing's <SOH>", async () => {
    const QRCode = (await import("qrcode")).default;
    const text = "\x01\x10AD:pindai";
    await QRCode.toFile(f("control.png"), [{ data: Buffer.from(text, "latin1"), mode: "byte" }], { errorCorrectionLevel: "M", scale: 8 });
    const r = await run("scan", "--image", f("control.png"), "--decoder", "zxing", "--json");
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).codes[0].text).toBe(text);
    const plain = await run("scan", "--image", f("control.png"), "--decoder", "zxing");
    expect(plain.out).toContain('"\\u0001\\u0010AD:pindai"  (not shown by a device)');
    expect(plain.out).not.toContain("<SOH>");
  });

  it("a device's ERR reason that carries its own colon is said with one colon (OLDER: ..., not OLDER:: ...)", async () => {
    const { DeviceClient, memoryLink } = await import("../host/issuer/device-client");
    for (const reply of ["ERR OLDER: version 1 is not newer than the installed one", "ERR UNKNOWN_KEY: signed by a key that is not a root of this firmware"]) {
      const c = new DeviceClient(memoryLink(() => reply));
      const e = await c.installKeyset(new Uint8Array([1])).catch((x: Error) => x);
      expect((e as Error).message).toBe(reply.slice(4));
      expect((e as Error).message).not.toContain("::");
    }
  });
});
