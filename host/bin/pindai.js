#!/usr/bin/env node
// Entry point of `npx pindai`: runs the TypeScript CLI through tsx, and exits
// when the command is done (a device's pending timers must not hold it open).
// Output that could not be written (a full disk, a closed pipe) makes the
// exit status non-zero: a script must not take lost text for success.
import { register } from "tsx/esm/api";

let outputError;
process.stdout.on("error", (e) => (outputError ??= e));

register();
// A computer running pindai is a Linux-class device: its core verifies through
// OpenSSL (firmware/targets/node/natives.ts), installed before the core loads.
await import("../../firmware/targets/node/natives.ts");
const { main } = await import("../src/cli.ts");
let code = await main(process.argv.slice(2));
// Let the last write finish (or fail) before deciding the exit status.
await new Promise((resolve) => process.stdout.write("", () => resolve()));
if (outputError) {
  if (outputError.code !== "EPIPE") process.stderr.write(`pindai: cannot write the output: ${outputError.code === "ENOSPC" ? "no space left on the device" : outputError.message}\n`);
  if (code === 0) code = 2;
}
process.exit(code);
