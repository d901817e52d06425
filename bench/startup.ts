// The CLI's start-up, side by side with Node's own (issue 24): the median
// wall time of `pindai --help` through each way of starting it, and of
// `node -e 0`, in one run. npx's own share is shown by `npx --version`.
import { spawnSync } from "node:child_process";
import { table } from "./measure";

function medianMs(cmd: string, args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: "ignore" });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export function benchStartup(runs: number): void {
  const node = process.execPath;
  // The first row, Node alone, is what the others are compared with.
  const rows: [string, string, string[]][] = [
    ["node -e 0 (Node alone)", node, ["-e", "0"]],
    ["node host/bin/pindai.js --help (bundle)", node, ["host/bin/pindai.js", "--help"]],
    ["npx --version (npm alone)", "npx", ["--version"]],
    ["npx pindai --help", "npx", ["pindai", "--help"]],
  ];
  const ms = rows.map(([, cmd, args]) => medianMs(cmd, args, runs));
  table(
    `CLI start-up, median of ${runs} runs (wall time)`,
    ["command", "ms", "x node -e 0"],
    rows.map(([name], i) => [name, ms[i].toFixed(0), (ms[i] / ms[0]).toFixed(2)]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) benchStartup(Number(process.env.BENCH_STARTUP_RUNS ?? "7"));
