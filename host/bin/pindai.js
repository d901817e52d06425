#!/usr/bin/env node
// Entry point of `npx pindai`: runs the CLI from its esbuild bundle
// (host/bin/bundle.js: made at `npm ci`, and again after a source changed),
// or through tsx where esbuild is missing; and exits when the command is done
// (a device's pending timers must not hold it open). Output that could not be
// written (a full disk, a closed pipe) makes the exit status non-zero: a
// script must not take lost text for success.
import { freshBundle, makeBundle } from "./bundle.js";

let outputError;
process.stdout.on("error", (e) => (outputError ??= e));

/** The CLI module: the bundle when it is current, else a new bundle, else the TypeScript through tsx. */
async function loadCli() {
  let entry = freshBundle();
  if (entry === undefined) entry = await makeBundle().catch((e) => void (process.env.PINDAI_DEBUG && process.stderr.write(`pindai: no bundle (${e.message}); running through tsx\n`)));
  if (entry !== undefined) return import(entry);
  const { register } = await import("tsx/esm/api");
  register();
  return import("../src/cli.ts");
}

const { main } = await loadCli();
let code = await main(process.argv.slice(2));
// Let the last write finish (or fail) before deciding the exit status.
await new Promise((resolve) => process.stdout.write("", () => resolve()));
if (outputError) {
  if (outputError.code !== "EPIPE") process.stderr.write(`pindai: cannot write the output: ${outputError.code === "ENOSPC" ? "no space left on the device" : outputError.message}\n`);
  if (code === 0) code = 1;
}
process.exit(code);
