// npm run fuzz -- [TARGET ...] [--seconds S | --runs N] [--hang S] [--no-save] [--seed N] [--uncovered]
// Exit 0: no crash and no hang; 1: something found (inputs in fuzz/crashes/);
// 2: usage error.
import { parseArgs } from "node:util";
import { CRASH_DIR, fuzz } from "./run";
import { TARGETS } from "./targets";

const HELP = `npm run fuzz -- [TARGET ...] [--seconds S] [--runs N] [--hang S] [--no-save] [--seed N] [--uncovered]

Coverage-guided fuzzing of every parser (fuzz/targets.ts): ${Object.keys(TARGETS).join(", ")}.
Each target starts from its corpus in fuzz/corpus/TARGET/ (committed) and
fuzz/found/TARGET/ (earlier runs' finds, ignored by git) and, unless
--no-save, adds to fuzz/found/TARGET/ every input that reaches new coverage
(copy the ones worth keeping into fuzz/corpus/). Stops per target
after --runs executions or --seconds (default 10 s). A run longer than --hang
seconds (default 5) is a hang. Crash and hang inputs go to fuzz/crashes/.
--uncovered lists the code behind every edge of the target's parser that no
run reached (with --runs 1: what the corpus alone reaches).`;

function fail(msg: string): never {
  process.stderr.write(`fuzz: ${msg}\n`);
  process.exit(2);
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        seconds: { type: "string" },
        runs: { type: "string" },
        hang: { type: "string" },
        seed: { type: "string" },
        "no-save": { type: "boolean" },
        uncovered: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP + "\n");
    return 0;
  }
  const num = (v: string | undefined, name: string, dflt: number) => {
    if (v === undefined) return dflt;
    if (!/^\d+(\.\d+)?$/.test(v)) fail(`--${name}: expected a number, got "${v}"`);
    return Number(v);
  };
  for (const t of positionals) if (!(t in TARGETS)) fail(`unknown target "${t}" (targets: ${Object.keys(TARGETS).join(", ")})`);
  const runs = num(values.runs, "runs", 0);
  const seconds = num(values.seconds, "seconds", runs > 0 ? 0 : 10);
  const reports = await fuzz({
    targets: positionals.length ? positionals : Object.keys(TARGETS),
    runs,
    seconds,
    hangSeconds: num(values.hang, "hang", 5),
    save: !values["no-save"],
    seed: num(values.seed, "seed", Date.now() % 1e9),
    showUncovered: values.uncovered,
    crashDir: CRASH_DIR,
    log: (l) => process.stdout.write(l + "\n"),
  });
  return reports.some((r) => r.findings.length > 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => fail(e instanceof Error ? e.message : String(e)),
);
