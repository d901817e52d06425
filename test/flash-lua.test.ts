// pindai flash-lua against a real Lua 5.4 REPL on a pty (socat), with the
// NodeMCU-style file API of firmware/targets/lua/file-api.lua.
import { afterEach, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { flashLua, checksum } from "../host/src/flash-lua";
import { luaLiteral } from "../host/build/lua-literal";
import { openPtyPair } from "../sim/pty";
import { haveTool } from "./support/tools";
import { runCli } from "./support/cli";
import { killTree, ptyExec } from "./support/pty-exec";

const READY = haveTool("socat") && haveTool("lua5.4");
const FILE_API = resolve("firmware/targets/lua/file-api.lua");
const procs: ChildProcess[] = [];
afterEach(() => {
  while (procs.length) killTree(procs.pop()!);
});

/** A Lua 5.4 REPL on a pty in `dir`; resolves with the pty path. */
async function luaRepl(dir: string): Promise<string> {
  const { path, proc } = await ptyExec(`lua5.4 -i ${FILE_API}`, dir);
  procs.push(proc);
  return path;
}

describe("Lua string literals for the REPL", () => {
  it("hold every byte value in ASCII", () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const lit = luaLiteral(all);
    expect(lit).toMatch(/^[\x20-\x7e]+$/);
    expect(checksum(new Uint8Array([1, 2]))).toBe(33);
  });
});

describe.skipIf(!READY)("pindai flash-lua on a Lua 5.4 REPL over a pty", () => {
  it("writes an image holding every byte value and verifies its checksum", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pindai-flash-"));
    const path = await luaRepl(dir);
    const image = new Uint8Array(5000).map((_, i) => (i * 7 + (i >> 8)) & 255);
    const seen: number[] = [];
    const r = await flashLua(path, image, { name: "img.lua", chunk: 100, progress: (d) => seen.push(d) });
    expect(r).toEqual({ bytes: 5000, checksum: checksum(image) });
    expect(Buffer.from(readFileSync(join(dir, "img.lua")))).toEqual(Buffer.from(image));
    expect(readdirSync(dir).sort()).toEqual(["img.lua"]); // the scratch file renamed into place; no init.lua unless asked
    expect(seen[seen.length - 1]).toBe(5000);
    expect(seen.length).toBe(50);
  });

  it("writes init.lua to run the image, and the device boots it: lua5.4 init.lua runs the image", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pindai-flash-"));
    const path = await luaRepl(dir);
    writeFileSync(join(dir, "image.lua"), "print('hello from the image')\n");
    const r = await runCli("flash-lua", "--port", path, "--image", join(dir, "image.lua"));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/flashed 30 bytes to pindai.lua, checksum \d+ verified; init.lua runs it at boot/);
    expect(readFileSync(join(dir, "init.lua"), "utf8")).toBe('dofile("pindai.lua")\n');
    // NodeMCU runs init.lua at boot; plain Lua the same file.
    expect(spawnSync("lua5.4", ["init.lua"], { cwd: dir, encoding: "utf8" }).stdout).toBe("hello from the image\n");
    // --no-init leaves it as it is, and an LFS image (not .lua) gets none.
    writeFileSync(join(dir, "init.lua"), "-- the agency's own\n");
    expect((await runCli("flash-lua", "--port", path, "--image", join(dir, "image.lua"), "--no-init")).code).toBe(0);
    expect((await runCli("flash-lua", "--port", path, "--image", join(dir, "image.lua"), "--name", "pindai.img")).out).not.toMatch(/init.lua/);
    expect(readFileSync(join(dir, "init.lua"), "utf8")).toBe("-- the agency's own\n");
  });

  it("a transfer cut midway (the REPL gone: a power cut) leaves the image before it whole; the next flash replaces it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pindai-flash-"));
    const old = new Uint8Array(3000).map((_, i) => (i * 13) & 255);
    const next = new Uint8Array(6000).map((_, i) => (i * 5 + 1) & 255);
    await flashLua(await luaRepl(dir), old, { chunk: 100 });
    // The power goes once a third of the new image is on its way: the REPL is killed.
    const path = await luaRepl(dir);
    const device = procs[procs.length - 1];
    const cut = flashLua(path, next, { chunk: 100, timeoutMs: 1500, progress: (d) => void (d >= 2000 && killTree(device)) });
    await expect(cut).rejects.toThrow(/the link to the device failed|no Lua prompt/);
    expect(Buffer.from(readFileSync(join(dir, "pindai.lua")))).toEqual(Buffer.from(old));
    expect(readFileSync(join(dir, "pindai.lua.new")).length).toBeLessThan(next.length); // what was cut lies beside it
    await flashLua(await luaRepl(dir), next, { chunk: 100 });
    expect(Buffer.from(readFileSync(join(dir, "pindai.lua")))).toEqual(Buffer.from(next));
    expect(readdirSync(dir).sort()).toEqual(["pindai.lua"]);
  });

  it("the command reports progress, and a device error stops it (exit 1)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pindai-flash-"));
    const path = await luaRepl(dir);
    writeFileSync(join(dir, "image.lua"), "print('hello from the image')\n");
    const ok = await runCli("flash-lua", "--port", path, "--image", join(dir, "image.lua"), "--name", "pindai.lua");
    expect(ok.code, ok.err).toBe(0);
    expect(ok.err).toContain("flash-lua: 100%");
    expect(readFileSync(join(dir, "pindai.lua"), "utf8")).toBe("print('hello from the image')\n");
    const bad = await runCli("flash-lua", "--port", path, "--image", join(dir, "image.lua"), "--name", "no/such/dir/x.lua");
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/cannot open|the device said/);
  });

  it("a port with no REPL behind it times out instead of hanging", async () => {
    const link = await openPtyPair();
    try {
      await expect(flashLua(link.a, new Uint8Array(10), { timeoutMs: 300 })).rejects.toThrow(/no Lua prompt/);
    } finally {
      link.close();
    }
  });

  it("a missing image is a file that cannot be read (exit 1)", async () => {
    const r = await runCli("flash-lua", "--port", "/dev/null", "--image", "/nonexistent.lua");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot read image/);
  });
});
