/**
 * Remote git mappings (`git: - url: ...`): the repository is fetched into a bare clone
 * on the node (one per URL, kept between builds), the revision resolved, and its files
 * listed with git's blob ids, so they are hashed exactly like local files. Contents are
 * read from the clone by blob id; no work tree is checked out.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { GitMapping } from "../config/types.ts";
import { ConfigError } from "../errors.ts";
import type { TrackedFile } from "./git.ts";

const exec = promisify(execFile);

export interface RemoteTree {
  /** The bare clone the blobs are read from. */
  gitDir: string;
  /** The resolved commit: for labels and messages only, never part of a digest. */
  commit: string;
  files: TrackedFile[];
}

async function git(args: string[]): Promise<string> {
  const { stdout } = await exec("git", args, { maxBuffer: 256 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
  return stdout;
}

/** The revision a mapping asks for, as werf reads it: commit, else tag, else branch, else the remote's HEAD. */
export function revisionOf(m: Pick<GitMapping, "commit" | "tag" | "branch">): string {
  if (m.commit) return `${m.commit}^{commit}`;
  if (m.tag) return `refs/tags/${m.tag}^{commit}`;
  if (m.branch) return `refs/heads/${m.branch}`;
  return "HEAD";
}

/** Clones `url` bare into `cacheDir` (or fetches it again) and lists the files of the mapping's revision. */
export async function fetchRemoteTree(mapping: GitMapping, cacheDir: string): Promise<RemoteTree> {
  const url = mapping.url as string;
  const gitDir = join(cacheDir, createHash("sha256").update(url).digest("hex").slice(0, 32));
  const where = mapping.location;
  try {
    const exists = await access(join(gitDir, "HEAD")).then(() => true, () => false);
    if (!exists) {
      await mkdir(cacheDir, { recursive: true });
      await git(["clone", "--bare", "--quiet", url, gitDir]);
    } else if (!mapping.commit || !(await hasCommit(gitDir, mapping.commit))) {
      await git(["-C", gitDir, "fetch", "--quiet", "--prune", "--force", url, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]);
    }
  } catch (err) {
    throw new ConfigError(where.file, where.line, where.column, "git.url", `cannot fetch ${url}: ${stderrOf(err)}`);
  }
  let commit: string;
  try {
    commit = (await git(["-C", gitDir, "rev-parse", "--verify", "--quiet", revisionOf(mapping)])).trim();
  } catch {
    throw new ConfigError(where.file, where.line, where.column, "git", `${url} has no ${mapping.commit ? `commit ${mapping.commit}` : mapping.tag ? `tag ${mapping.tag}` : mapping.branch ? `branch ${mapping.branch}` : "HEAD"}`);
  }
  const listing = await git(["-C", gitDir, "ls-tree", "-r", "-z", "--full-tree", commit]);
  const files: TrackedFile[] = [];
  for (const record of listing.split("\0")) {
    if (!record) continue;
    const tab = record.indexOf("\t");
    const [mode, type, blob] = record.slice(0, tab).split(" ");
    if (type !== "blob") continue; // submodules (commits) are not files
    files.push({ path: record.slice(tab + 1), mode, blob });
  }
  return { gitDir, commit, files };
}

async function hasCommit(gitDir: string, commit: string): Promise<boolean> {
  return git(["-C", gitDir, "cat-file", "-e", `${commit}^{commit}`]).then(() => true, () => false);
}

/** A blob's bytes from a bare clone (a symlink's blob is its target). */
export async function readBlob(gitDir: string, blob: string): Promise<Buffer> {
  const { stdout } = await exec("git", ["-C", gitDir, "cat-file", "blob", blob], { encoding: "buffer", maxBuffer: 1024 * 1024 * 1024 });
  return stdout;
}

function stderrOf(err: unknown): string {
  const stderr = (err as { stderr?: string | Buffer }).stderr;
  return (stderr ? String(stderr) : (err as Error).message).trim().split("\n").at(-1) ?? "";
}
