import { constants } from "node:fs";
import { lstat, open, readlink, realpath } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import picomatch from "picomatch";
import { ConfigError } from "../errors.ts";
import { run } from "../util/process.ts";
import type { FileSource } from "./layer.ts";

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
 * Files are what git sees: a tracked path below a directory that is now a symlink
 * is deleted (git reports it so), never read through the link.
 */
export async function readWorktree(dir: string, configFile: string): Promise<Worktree> {
  // All at once, from `dir` (one round of processes): the whole index with paths from the
  // top (`:/`, --full-name), and diff-files, whose paths are from the top anyway.
  const [top, index, changes, head] = await Promise.all([
    run("git", ["-C", dir, "rev-parse", "--show-toplevel"]),
    run("git", ["-C", dir, "ls-files", "-s", "-z", "--full-name", "--", ":/"]),
    run("git", ["-C", dir, "diff-files", "--name-status", "--no-renames", "-z"]),
    run("git", ["-C", dir, "show", "-s", "--format=%H %cI", "HEAD"]),
  ]);
  if (top.code !== 0) throw new ConfigError(configFile, undefined, undefined, "git", `${dir} is not inside a git repository, but the config maps git files`);
  const root = top.stdout.trim();
  for (const [res, what] of [[index, "ls-files"], [changes, "diff-files"]] as const) {
    if (res.code !== 0) throw new Error(`git ${what}: ${res.stderr.trim()}`);
  }
  const indexOut = index.stdout;
  const changedOut = changes.stdout;
  const [commit, commitTime] = head.code === 0 ? head.stdout.trim().split(" ") : [];
  const changed = parseNameStatus(changedOut);
  const files: TrackedFile[] = [];
  for (const record of indexOut.split("\0")) {
    if (!record) continue;
    const tab = record.indexOf("\t");
    const [mode, blob] = record.slice(0, tab).split(" ");
    const path = record.slice(tab + 1);
    if (mode === "160000") continue; // submodules are not files
    files.push({ path, mode, blob });
  }
  const rehash = files.filter((f) => changed.has(f.path) && changed.get(f.path) !== "D");
  const gone = new Set([...changed].filter(([, status]) => status === "D").map(([path]) => path));
  for (const f of await rehashModified(root, rehash)) gone.add(f);
  const present = files.filter((f) => !gone.has(f.path));
  return { root, commit, commitTime: commitTime ? new Date(commitTime).toISOString() : undefined, files: present };
}

/** `git diff-files --name-status -z`: status, NUL, path, NUL, ... */
function parseNameStatus(out: string): Map<string, string> {
  const parts = out.split("\0");
  const changed = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i]) changed.set(parts[i + 1], parts[i][0]);
  return changed;
}

/**
 * Modified files are taken as they are now: mode from the file system, content hashed
 * the way `git add` would (a link by its target text). Returns the paths that are gone
 * (or that only a symlinked parent would reach, which git counts as deleted too).
 */
async function rehashModified(root: string, rehash: TrackedFile[]): Promise<string[]> {
  const stats = await Promise.all(
    rehash.map(async (f) => ((await insideRepository(root, f.path)) ? lstat(join(root, f.path)).catch(() => undefined) : undefined)),
  );
  const gone: string[] = [];
  const regular: TrackedFile[] = [];
  for (const [i, f] of rehash.entries()) {
    const st = stats[i];
    if (!st || !(st.isFile() || st.isSymbolicLink())) {
      gone.push(f.path); // a directory or a device where a file was tracked: git sees it deleted
    } else if (st.isSymbolicLink()) {
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
  return gone;
}

/** True when every parent directory of `path` is a real directory of the repository (no symlink on the way). */
async function insideRepository(root: string, path: string): Promise<boolean> {
  const parent = dirname(path);
  if (parent === ".") return true;
  try {
    const [real, realRoot] = await Promise.all([realpath(join(root, parent)), realpath(root)]);
    return real === join(realRoot, parent);
  } catch {
    return false;
  }
}

/** A tracked file's content for a layer: a symlink's target, or a regular file streamed from disk. */
export type TrackedContent = { kind: "symlink"; target: string } | { kind: "file"; source: FileSource };

/**
 * A tracked file's content without following any symlink: its parents must be real
 * directories of the repository, and the file is opened with O_NOFOLLOW. A regular
 * file is streamed from disk when the layer is written, never held whole in memory.
 */
export async function openTracked(root: string, file: TrackedFile): Promise<TrackedContent> {
  const abs = join(root, file.path);
  if (!(await insideRepository(root, file.path))) throw new Error("a parent directory is a symlink or no longer exists");
  if (file.mode === "120000") return { kind: "symlink", target: await readlink(abs) };
  const st = await lstat(abs);
  if (!st.isFile()) throw new Error("is no longer a regular file");
  return { kind: "file", source: { size: st.size, open: () => Readable.from(readExactly(abs, st.size, file.path)) } };
}

/** The first `size` bytes of the file; fails if it is now shorter, a link or not a file. */
async function* readExactly(abs: string, size: number, path: string): AsyncGenerator<Buffer> {
  const handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW).catch((err: Error) => {
    throw new Error(`cannot read tracked file ${path}: ${err.message}`, { cause: err });
  });
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error(`cannot read tracked file ${path}: it is no longer a regular file`);
    let left = size;
    const buffer = Buffer.alloc(Math.min(size, 1 << 20));
    while (left > 0) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, left), size - left);
      if (bytesRead === 0) throw new Error(`cannot read tracked file ${path}: it shrank while the build read it (${size - left} of ${size} bytes)`);
      left -= bytesRead;
      yield Buffer.from(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
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
