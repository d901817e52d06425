// Timing helpers for npm run bench (never used by tests).

/** Mean ms per call after warming up, running for about `seconds`. */
export function timeIt(seconds: number, fn: () => void): number {
  for (let i = 0; i < 20; i++) fn(); // warm up the JIT
  let n = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < limit || n < 10) {
    fn();
    n++;
    elapsed = process.hrtime.bigint() - start;
  }
  return Number(elapsed) / 1e6 / n;
}

export function table(title: string, head: string[], rows: string[][]): void {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join("  ");
  console.log("\n" + title);
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}
