// What a test starts dies with it (support/children.ts), even when the test
// process is killed outright and no afterEach runs: a program that ignores
// SIGTERM and SIGHUP, as Espruino for Linux does, is started by a child Node
// process through spawnChild and ptyExec; that process is SIGKILLed; nothing
// it started is left running. With ESPRUINO set, the program is Espruino.
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processesIn } from "./support/children";
import { haveTool } from "./support/tools";

const stubborn = process.env.ESPRUINO ?? join(mkdtempSync(join(tmpdir(), "pindai-stubborn-")), "stubborn.sh");
if (!process.env.ESPRUINO) writeFileSync(stubborn, '#!/bin/sh\ntrap "" TERM HUP INT\nwhile :; do sleep 1; done\n', { mode: 0o755 });

/** How many processes under `dir` run a command line that contains `word` (Linux /proc). */
function running(dir: string, word: string): number {
  return processesIn([dir]).filter((pid) => {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      // setpriv before it execs the program is not the program yet; socat's EXEC argument names it too.
      return !args[0].endsWith("setpriv") && args.some((arg) => arg.includes(word) && !arg.includes("setpriv"));
    } catch {
      return false; // gone meanwhile
    }
  }).length;
}

/** Polls until `done` has been seen true, or about 30 s (a loaded machine): the kernel delivers the kill asynchronously. */
async function eventually(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 300; i++) {
    if (done()) return true; // asked once: a second look can catch the script's fork for sleep, not yet exec'd, as a third copy
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe.skipIf(!haveTool("socat") || !haveTool("setpriv"))("children of a killed test process", () => {
  it("spawnChild and ptyExec children die with their parent", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pindai-children-"));
    const script = join(dir, "parent.mts"); // an ES module: it awaits at top level
    writeFileSync(
      script,
      `import { spawnChild } from ${JSON.stringify(join(process.cwd(), "test/support/children.ts"))};\n` +
        `import { ptyExec } from ${JSON.stringify(join(process.cwd(), "test/support/pty-exec.ts"))};\n` +
        `spawnChild(${JSON.stringify(stubborn)}, [], { cwd: ${JSON.stringify(dir)}, stdio: ["pipe", "ignore", "ignore"] });\n` +
        `await ptyExec(${JSON.stringify(stubborn)}, ${JSON.stringify(dir)});\n` +
        `console.log("started");\nsetInterval(() => {}, 1000);\n`,
    );
    // node itself (not the tsx wrapper, which runs the script in a second node): the SIGKILL below hits the parent.
    const parent = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((res, rej) => {
        parent.stdout!.on("data", (d) => String(d).includes("started") && res());
        parent.on("exit", (c) => rej(new Error("parent exited " + c)));
      });
      // The event itself, not a count that other processes can make up: both programs running (one
      // bare, one that socat's EXEC started on a pty: socat prints its pty before it forks the program),
      // and socat. Only then is the parent killed.
      expect(await eventually(() => running(dir, stubborn) === 2 && running(dir, "socat") === 1)).toBe(true);
      // As a crash or a killed worker would: no exit handler, no afterEach runs.
      process.kill(parent.pid!, "SIGKILL");
      expect(await eventually(() => processesIn([dir]).length === 0)).toBe(true);
    } finally {
      parent.kill("SIGKILL");
      for (const pid of processesIn([dir])) process.kill(pid, "SIGKILL"); // this test's own leftovers, should it fail
    }
  }, 90_000);
});

describe.skipIf(!process.env.ESPRUINO)("Espruino's scratch files (ESPRUINO names the binary)", () => {
  it("a run that writes Storage leaves espruino.flash in the scratch folder, not the repository", async () => {
    const { espruinoRunner } = await import("./support/espruino");
    const { existsSync } = await import("node:fs");
    const dir = mkdtempSync(join(tmpdir(), "pindai-storage-"));
    const bundle = join(dir, "storage.js");
    writeFileSync(bundle, 'var conformance = { keep: function (v) { require("Storage").write("k", v); return require("Storage").read("k"); } };\n');
    const inRepo = existsSync("espruino.flash");
    const runner = espruinoRunner(process.env.ESPRUINO!, bundle, 60_000);
    expect(await runner.callMany([["keep", "kept"]])).toEqual(["kept"]);
    expect(existsSync("espruino.flash")).toBe(inRepo); // (a file from before this change is not this run's)
    expect(existsSync(join(tmpdir(), "pindai-espruino", String(process.pid), "espruino.flash"))).toBe(true); // the runner's scratch folder
  }, 90_000);
});
