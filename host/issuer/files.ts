// Reading and writing the files a command is given, so that no path can
// crash, hang or exhaust it: inputs must be regular files and are read with
// a bound checked before the work (a FIFO, /dev/zero or a directory is
// refused, never read); outputs fail with one plain sentence (a directory, a
// missing folder, a full disk).
import { closeSync, openSync, readSync, fstatSync, statSync, writeFileSync, chmodSync, constants, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { CliError, failed } from "./errors";

/** A plain sentence for a Node file-system error (no "ENOENT, open ..."). */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "no such file or folder";
    case "EISDIR":
      return "it is a folder, not a file";
    case "ENOTDIR":
      return "a part of the path is not a folder";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOSPC":
      return "no space left on the device";
    case "EROFS":
      return "the file system is read-only";
    case "ENAMETOOLONG":
      return "the name is too long";
    case "ELOOP":
      return "too many symbolic links";
    case "EMFILE":
    case "ENFILE":
      return "too many open files";
    case "EEXIST":
      return "it already exists";
    case "EBUSY":
    case "ETXTBSY":
      return "it is in use";
    case "EFBIG":
      return "too large for the file system";
    case "EIO":
      return "a read or write error on the device";
    case "ENXIO":
    case "ENODEV":
      return "no such device";
    default:
      // The system's own words stay behind PINDAI_DEBUG (the error's cause).
      return code === undefined ? String((e as Error)?.message ?? e).split("\n")[0] : "the system refused it";
  }
}

/**
 * The bytes of a regular file of at most `maxBytes`; `what` names it in the
 * error ("key set", "image"). Opened without blocking, so a FIFO without a
 * writer is refused instead of waited for.
 */
export function readBounded(path: string, what: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw failed(`cannot read ${what} ${path}: ${fsReason(e)}`, e);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw failed(`cannot read ${what} ${path}: it is a folder, not a file`);
    if (!st.isFile()) throw failed(`cannot read ${what} ${path}: not a regular file (a device, pipe or socket)`);
    if (st.size > maxBytes) throw failed(`cannot read ${what} ${path}: it is larger than ${maxBytes} bytes`);
    // The file may grow after the stat: read one byte past its size, and refuse it if that byte came.
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) break;
    }
    if (n > st.size) throw failed(`cannot read ${what} ${path}: it grew while it was read; try again when it is complete`);
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw failed(`cannot read ${what} ${path}: ${fsReason(e)}`, e);
  } finally {
    closeSync(fd);
  }
}

export function readBoundedText(path: string, what: string, maxBytes: number): string {
  return readBounded(path, what, maxBytes).toString("utf8");
}

/** The file name that means standard output. */
export const STDOUT = "-";

/** Write an output file ("-": standard output); any failure is one sentence naming the file. */
export function writeOutput(path: string, data: string | Uint8Array, what: string, mode?: number): void {
  // "-" is standard output, as for every tool that writes a file.
  if (path === STDOUT) {
    process.stdout.write(data);
    return;
  }
  // Opening a FIFO for writing waits for a reader, maybe for ever: refused.
  if (existsSync(path) && statSync(path).isFIFO()) throw failed(`cannot write ${what} ${path}: it is a pipe (FIFO), not a file`);
  try {
    writeFileSync(path, data, mode === undefined ? undefined : { mode });
    if (mode !== undefined) chmodSync(path, mode); // also when the file already existed
  } catch (e) {
    throw failed(`cannot write ${what} ${path}: ${fsReason(e)}`, e);
  }
}

/**
 * Write a file that holds a secret key (mode 0600) and return a warning when
 * it lands inside a git work tree where git would not ignore it (a `git add
 * -A` would publish it), or undefined.
 */
export function writeSecretFile(path: string, text: string, what: string): string | undefined {
  writeOutput(path, text, what, 0o600);
  return path === STDOUT ? undefined : gitExposure(path);
}

function gitExposure(path: string): string | undefined {
  let dir = dirname(resolve(path));
  for (;;) {
    if (existsSync(resolve(dir, ".git"))) break;
    const up = dirname(dir);
    if (up === dir) return undefined; // not in a work tree
    dir = up;
  }
  const r = spawnSync("git", ["check-ignore", "-q", resolve(path)], { cwd: dirname(resolve(path)), stdio: "ignore", timeout: 5000 });
  if (r.status === 0) return undefined; // ignored
  return `warning: ${path} holds a secret key and is inside the git work tree ${dir}, not ignored by git; keep key files out of repositories`;
}

/** A plain sentence for node-serialport's "Error: No such file or directory, cannot open X". */
export function portReason(e: unknown): string {
  const m = (e as Error).message.replace(/^Error:\s*/, "");
  if (/^No such file or directory/.test(m)) return "no such port";
  if (/^Is a directory/.test(m)) return "it is a folder, not a serial port";
  if (/^Permission denied/.test(m)) return "permission denied (is the user in the dialout group?)";
  if (/Inappropriate ioctl/.test(m)) return "not a serial port (a terminal device)";
  if (/Resource temporarily unavailable|Cannot lock port/.test(m)) return "the port is in use by another program";
  if (/^Not a directory/.test(m)) return "a part of the path is not a folder";
  if (/^Operation not permitted/.test(m)) return "permission denied";
  if (/^(No such device|Input\/output error)/.test(m)) return "the device is gone (unplugged?)";
  // serialport's own words stay behind PINDAI_DEBUG (the error's cause).
  return "it cannot be opened as a serial port";
}

/**
 * Where JSON.parse stopped in `text`, as "at line L, column C" (or "" when
 * the parser did not say): said instead of the parser's own message, which
 * quotes the file's bytes.
 */
export function jsonWhere(text: string, e: unknown): string {
  const m = /at position (\d+)/.exec(String((e as Error)?.message ?? ""));
  if (!m) return text.trim() === "" ? "it is empty" : "";
  const before = text.slice(0, Number(m[1]));
  const line = before.split("\n").length;
  return `at line ${line}, column ${before.length - before.lastIndexOf("\n")}`;
}
