// Run the pindai CLI in-process and capture what it prints.
import { main, type Io } from "../../host/src/cli";

export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), help: (t) => (out.push(t), 0) };
  const code = await main(argv, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}
