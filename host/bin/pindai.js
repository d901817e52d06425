#!/usr/bin/env node
// Entry point of `npx pindai`: runs the TypeScript CLI through tsx, and exits
// when the command is done (a device's pending timers must not hold it open).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli.ts");
process.exit(await main(process.argv.slice(2)));
