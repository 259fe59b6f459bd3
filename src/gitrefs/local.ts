import pLimit from "p-limit";
import { SlipwayError } from "../errors.ts";
import { run } from "../util/process.ts";
import type { GitRef, GitRefSource } from "./types.ts";

export interface LocalGitOptions {
  /** A directory inside the working tree. */
  dir: string;
  /**
   * The remote whose branches are the truth. Default "origin" when it exists. CI checkouts
   * are shallow and fetch one branch, and remote-tracking refs outlive deleted branches
   * until a prune, so when a remote exists its live list (`git ls-remote`) decides which
   * refs exist; the local refs only add commit times.
   */
  remote?: string | false;
  /** How many commits of each ref's history to record (default 100; 0 = none). */
  historyDepth?: number;
}

async function git(dir: string, args: string[]): Promise<string> {
  const res = await run("git", ["-C", dir, ...args]);
  if (res.code !== 0) throw new SlipwayError(`git ${args.join(" ")} failed in ${dir}: ${res.stderr.trim() || `exit ${res.code}`}`);
  return res.stdout;
}

const FORMAT = "%(refname)%09%(objectname)%09%(*objectname)%09%(committerdate:unix)%09%(*committerdate:unix)";

/** Local refs: refs/heads, refs/tags and refs/remotes/<remote>, with commit times. */
async function localRefs(dir: string, remote: string | undefined): Promise<{ refs: GitRef[]; times: Map<string, Date> }> {
  const patterns = ["refs/heads", "refs/tags", ...(remote ? [`refs/remotes/${remote}`] : [])];
  const out = await git(dir, ["for-each-ref", `--format=${FORMAT}`, ...patterns]);
  const refs: GitRef[] = [];
  const times = new Map<string, Date>();
  for (const line of out.split("\n").filter(Boolean)) {
    const [refname, object, peeled, date, peeledDate] = line.split("\t");
    const commit = peeled || object;
    const seconds = Number(peeledDate || date);
    const time = Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : undefined;
    if (time) times.set(commit, time);
    const ref = parseRefName(refname, remote);
    if (ref) refs.push({ ...ref, commit, ...(time && { time }) });
  }
  return { refs, times };
}

function parseRefName(refname: string, remote: string | undefined): Pick<GitRef, "kind" | "name"> | undefined {
  if (refname.startsWith("refs/heads/")) return { kind: "branch", name: refname.slice(11) };
  if (refname.startsWith("refs/tags/")) return { kind: "tag", name: refname.slice(10) };
  const prefix = `refs/remotes/${remote}/`;
  if (remote && refname.startsWith(prefix) && refname !== `${prefix}HEAD`) return { kind: "branch", name: refname.slice(prefix.length) };
  return undefined;
}

/** `git ls-remote --heads --tags REMOTE`: the refs that exist on the server right now. */
async function remoteRefs(dir: string, remote: string, times: Map<string, Date>): Promise<GitRef[]> {
  const out = await git(dir, ["ls-remote", "--heads", "--tags", remote]);
  const byName = new Map<string, GitRef>();
  for (const line of out.split("\n").filter(Boolean)) {
    const [commit, refname] = line.split("\t");
    const peeled = refname.endsWith("^{}");
    const ref = parseRefName(peeled ? refname.slice(0, -3) : refname, undefined);
    if (!ref) continue;
    const key = `${ref.kind}:${ref.name}`;
    // An annotated tag is listed twice; the peeled line (^{}) carries the commit.
    if (byName.has(key) && !peeled) continue;
    const time = times.get(commit);
    byName.set(key, { ...ref, commit, ...(time && { time }) });
  }
  return [...byName.values()];
}

async function defaultRemote(dir: string, wanted: string | false | undefined): Promise<string | undefined> {
  if (wanted === false) return undefined;
  const remotes = (await git(dir, ["remote"])).split("\n").filter(Boolean);
  if (wanted) {
    if (!remotes.includes(wanted)) throw new SlipwayError(`git remote "${wanted}" does not exist in ${dir}`);
    return wanted;
  }
  return remotes.includes("origin") ? "origin" : undefined;
}

/** `git rev-list` of each ref's commit that the checkout has; commits it lacks get no history. */
async function withHistory(dir: string, refs: GitRef[], depth: number): Promise<GitRef[]> {
  if (depth <= 0) return refs;
  const limit = pLimit(4);
  const byCommit = new Map<string, Promise<string[] | undefined>>();
  const historyOf = (commit: string) => {
    if (!byCommit.has(commit)) {
      byCommit.set(commit, limit(async () => {
        const res = await run("git", ["-C", dir, "rev-list", `--max-count=${depth}`, commit]);
        return res.code === 0 ? res.stdout.split("\n").filter(Boolean) : undefined;
      }));
    }
    return byCommit.get(commit)!;
  };
  return Promise.all(refs.map(async (r) => {
    const history = await historyOf(r.commit);
    return history ? { ...r, history } : r;
  }));
}

export function localGitRefs(opts: LocalGitOptions): GitRefSource {
  return {
    description: `git checkout ${opts.dir}`,
    async list() {
      const remote = await defaultRemote(opts.dir, opts.remote);
      const local = await localRefs(opts.dir, remote);
      const refs = remote ? await remoteRefs(opts.dir, remote, local.times) : dedupe(local.refs);
      return withHistory(opts.dir, refs, opts.historyDepth ?? 100);
    },
  };
}

/** A branch can appear both as refs/heads/x and refs/remotes/origin/x; keep the first. */
function dedupe(refs: GitRef[]): GitRef[] {
  const seen = new Map<string, GitRef>();
  for (const r of refs) if (!seen.has(`${r.kind}:${r.name}`)) seen.set(`${r.kind}:${r.name}`, r);
  return [...seen.values()];
}
