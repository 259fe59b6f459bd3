import { lstat, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import picomatch from "picomatch";
import { ConfigError } from "../errors.ts";
import { run } from "../util/process.ts";

/** A tracked file as it is in the working tree: git's blob id is its content hash. */
export interface TrackedFile {
  path: string;
  /** git mode: 100644, 100755 or 120000 (symlink). */
  mode: string;
  blob: string;
}

export interface Worktree {
  root: string;
  /** HEAD commit, for labels only: never part of a digest. */
  commit?: string;
  /** HEAD's committer date (RFC 3339), the `created` time of published images. */
  commitTime?: string;
  files: TrackedFile[];
}

async function git(root: string, args: string[], input?: string): Promise<string> {
  const res = await run("git", ["-C", root, ...args], { input });
  if (res.code !== 0) throw new Error(`git ${args.join(" ")}: ${res.stderr.trim()}`);
  return res.stdout;
}

/**
 * Lists the tracked files of the repository at `dir` with content hashes of the
 * working tree: the index's blob ids, re-hashed for files modified on disk.
 * Works the same in a shallow clone: nothing here reads history.
 */
export async function readWorktree(dir: string, configFile: string): Promise<Worktree> {
  const top = await run("git", ["-C", dir, "rev-parse", "--show-toplevel"]);
  if (top.code !== 0) throw new ConfigError(configFile, undefined, undefined, "git", `${dir} is not inside a git repository, but the config maps git files`);
  const root = top.stdout.trim();
  const [indexOut, modifiedOut, head] = await Promise.all([
    git(root, ["ls-files", "-s", "-z"]),
    git(root, ["diff-files", "--name-only", "-z"]),
    run("git", ["-C", root, "show", "-s", "--format=%H %cI", "HEAD"]),
  ]);
  const [commit, commitTime] = head.code === 0 ? head.stdout.trim().split(" ") : [];
  const modified = new Set(modifiedOut.split("\0").filter(Boolean));
  const files: TrackedFile[] = [];
  const rehash: TrackedFile[] = [];
  for (const record of indexOut.split("\0")) {
    if (!record) continue;
    const tab = record.indexOf("\t");
    const [mode, blob] = record.slice(0, tab).split(" ");
    const path = record.slice(tab + 1);
    if (mode === "160000") continue; // submodules are not files
    const file = { path, mode, blob };
    files.push(file);
    if (modified.has(path)) rehash.push(file);
  }
  // Files deleted on disk are not part of the tree; modified ones are taken as they are now:
  // mode from the file system, content hashed the way `git add` would (a link by its target text).
  const stats = await Promise.all(rehash.map((f) => lstat(join(root, f.path)).catch(() => undefined)));
  const gone = new Set(rehash.filter((_, i) => !stats[i]).map((f) => f.path));
  const regular: TrackedFile[] = [];
  for (const [i, f] of rehash.entries()) {
    const st = stats[i];
    if (!st) continue;
    if (st.isSymbolicLink()) {
      f.mode = "120000";
      f.blob = (await git(root, ["hash-object", "--stdin"], await readlink(join(root, f.path)))).trim();
    } else {
      f.mode = st.mode & 0o111 ? "100755" : "100644";
      regular.push(f);
    }
  }
  if (regular.length > 0) {
    const out = await git(root, ["hash-object", "--stdin-paths"], regular.map((f) => f.path).join("\n") + "\n");
    const ids = out.trim().split("\n");
    regular.forEach((f, i) => (f.blob = ids[i] ?? f.blob));
  }
  const present = files.filter((f) => !gone.has(f.path));
  return { root, commit, commitTime: commitTime ? new Date(commitTime).toISOString() : undefined, files: present };
}

/** Reads a tracked file's bytes from the working tree (a symlink's bytes are its target). */
export async function readTracked(root: string, file: TrackedFile): Promise<Buffer> {
  const abs = join(root, file.path);
  return file.mode === "120000" ? Buffer.from(await readlink(abs)) : readFile(abs);
}

/**
 * werf-style path matching: a pattern matches a path when the glob matches it, or
 * when the path lies under a directory the pattern names ("src" matches "src/a.js").
 */
export function pathMatcher(patterns: string[]): (path: string) => boolean {
  const cleaned = patterns.map((p) => p.replace(/^\/+/, "").replace(/\/+$/, "")).filter((p) => p !== "");
  if (patterns.length > 0 && cleaned.length === 0) return () => true; // "/" means everything
  const globs = cleaned.map((p) => picomatch(p, { dot: true }));
  const dirs = cleaned.map((p) => picomatch(`${p}/**`, { dot: true }));
  return (path) => globs.some((m) => m(path)) || dirs.some((m) => m(path));
}
