// Making a folder without Node's recursive mkdir, which loops for ever where
// mkdir answers ENOENT under a folder that exists (/proc/x): each level is
// made once, and any failure is one sentence. Only the folder an option names
// is made (and, with `parents`, the levels under a folder that exists, for an
// output tree such as a build's dist/espruino): a mistyped parent is an error,
// not a new tree.
import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** A folder that could not be made; `reason` is a plain sentence. */
export class FolderError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot make the folder ${path}: ${reason}`, options);
  }
}

function kindOf(path: string): "folder" | "other" | "missing" {
  try {
    return statSync(path).isDirectory() ? "folder" : "other";
  } catch {
    return "missing";
  }
}

/** Makes `path` (and with parents, its missing levels); a folder that exists is fine. */
export function makeFolder(path: string, o: { parents?: boolean; mode?: number } = {}): void {
  const target = resolve(path);
  const levels: string[] = [];
  for (let p = target; ; p = dirname(p)) {
    const kind = kindOf(p);
    if (kind === "folder") break;
    if (kind === "other") throw new FolderError(path, p === target ? "a file of that name exists" : `${p} is a file, not a folder`);
    levels.unshift(p);
    if (dirname(p) === p) break;
  }
  if (levels.length > 1 && !o.parents) throw new FolderError(path, `its parent folder ${dirname(target)} does not exist`);
  for (const p of levels) {
    try {
      mkdirSync(p, o.mode === undefined ? undefined : { mode: o.mode });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST" && kindOf(p) === "folder") continue; // made meanwhile by another process
      const why =
        code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : code === "EROFS"
            ? "the file system is read-only"
            : code === "ENOSPC"
              ? "no space left on the device"
              : code === "ENOENT"
                ? `no new folders can be made in ${dirname(p)}`
                : "the system refused";
      throw new FolderError(path, why, { cause: e });
    }
  }
}
