// Children a test starts (Espruino, socat, a Lua device): each is killed by
// the test's afterEach/afterAll with killChild, and, should the test process
// itself die first (a worker killed on timeout, Ctrl-C), by the kernel:
// setpriv --pdeathsig SIGKILL makes a child die with its parent. Espruino for
// Linux ignores SIGTERM and SIGHUP, so every kill here is SIGKILL, to the
// child's own process group and to the children it started.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";

const live = new Set<ChildProcess>();

/** The words that run `cmd` so that it dies with its parent (for socat EXEC too). */
export function dyingWithParent(cmd: string, args: string[] = []): string[] {
  return ["setpriv", "--pdeathsig", "SIGKILL", "--", cmd, ...args];
}

/**
 * spawn, dying with this process; killChildren() ends it. Not in a session of
 * its own unless opts.detached: a session leader without a controlling
 * terminal takes the first tty it opens (a scan engine's pty) as one.
 */
export function spawnChild(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const [bin, ...rest] = dyingWithParent(cmd, args);
  const p = spawn(bin, rest, opts);
  live.add(p);
  p.on("exit", () => live.delete(p));
  return p;
}

/** SIGKILL to the child's children, its process group (when it leads one) and itself. */
export function killChild(p: ChildProcess): void {
  live.delete(p);
  if (p.pid === undefined) return;
  spawnSync("pkill", ["-9", "-P", String(p.pid)]);
  try {
    process.kill(-p.pid, "SIGKILL");
  } catch {
    p.kill("SIGKILL");
  }
}

export function killChildren(): void {
  for (const p of [...live]) killChild(p);
}

process.on("exit", killChildren);

/** Pids of the processes whose working directory is under one of `dirs` (Linux /proc). */
export function processesIn(dirs: string[]): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let cwd: string;
    try {
      cwd = readlinkSync(`/proc/${name}/cwd`);
    } catch {
      continue; // gone, or not ours to read
    }
    if (dirs.some((d) => cwd === d || cwd.startsWith(d + "/"))) out.push(Number(name));
  }
  return out;
}
