import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { fetchRemoteTree, readBlob } from "../../../src/build/git-remote.ts";
import { placeGitFiles, remoteKey } from "../../../src/build/placement.ts";
import type { GitMapping, ImageConfig } from "../../../src/config/types.ts";
import { ConfigError } from "../../../src/errors.ts";
import { run } from "../../../src/util/process.ts";
import { gitProject } from "../../support/project.ts";
import { scratchDir } from "../../support/services.ts";

/** A bare repository with a `main` branch and a tag `v1`, reached through a file:// URL. */
async function remote() {
  const work = await gitProject({ "lib/a.txt": "a1\n", "lib/b.txt": "b1\n", "README": "r\n" });
  await work.git("tag", "v1");
  await work.write({ "lib/a.txt": "a2\n" });
  await work.commit("a2");
  const bare = join(await scratchDir("slipway-bare-"), "lib.git");
  const res = await run("git", ["clone", "--bare", "--quiet", work.dir, bare]);
  if (res.code !== 0) throw new Error(res.stderr);
  return { work, bare, url: `file://${bare}` };
}

const loc = { file: "werf.yaml", line: 3, column: 3 };
const mapping = (over: Partial<GitMapping>): GitMapping => ({ add: "/lib", to: "/srv/lib", includePaths: [], excludePaths: [], stageDependencies: {}, location: loc, ...over });

describe("remote git mappings", () => {
  test("a branch, a tag or a commit is listed with git's blob ids and read from the bare clone", async () => {
    const { url, work } = await remote();
    const cache = await scratchDir("slipway-gitcache-");
    const head = await fetchRemoteTree(mapping({ url, branch: "main" }), cache);
    const tagged = await fetchRemoteTree(mapping({ url, tag: "v1" }), cache);
    const first = await work.git("rev-list", "--max-parents=0", "HEAD");
    const byCommit = await fetchRemoteTree(mapping({ url, commit: first }), cache);
    const blob = (t: typeof head, path: string) => t.files.find((f) => f.path === path)!.blob;
    expect(head.files.map((f) => f.path).sort()).toEqual(["README", "lib/a.txt", "lib/b.txt"]);
    expect((await readBlob(head.gitDir, blob(head, "lib/a.txt"))).toString()).toBe("a2\n");
    expect((await readBlob(tagged.gitDir, blob(tagged, "lib/a.txt"))).toString()).toBe("a1\n");
    expect(byCommit.commit).toBe(first);
    expect(blob(byCommit, "lib/a.txt")).toBe(blob(tagged, "lib/a.txt"));
  });

  test("a new commit on the remote is fetched on the next plan", async () => {
    const { url, work, bare } = await remote();
    const cache = await scratchDir("slipway-gitcache-");
    const before = await fetchRemoteTree(mapping({ url }), cache);
    await work.write({ "lib/c.txt": "c\n" });
    await work.commit("c");
    await work.git("push", "-q", bare, "main");
    const after = await fetchRemoteTree(mapping({ url }), cache);
    expect(after.commit).not.toBe(before.commit);
    expect(after.files.map((f) => f.path)).toContain("lib/c.txt");
  });

  test("an unknown branch or an unreachable URL is a config error at the mapping", async () => {
    const { url } = await remote();
    const cache = await scratchDir("slipway-gitcache-");
    await expect(fetchRemoteTree(mapping({ url, branch: "nope" }), cache)).rejects.toThrow(/has no branch nope/);
    const err = await fetchRemoteTree(mapping({ url: "file:///nonexistent/repo.git" }), cache).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).line).toBe(3);
  });

  test("placement maps remote files like local ones, reading them from the clone", async () => {
    const { url } = await remote();
    const m = mapping({ url, stageDependencies: { install: ["a.txt"] } });
    const tree = await fetchRemoteTree(m, await scratchDir("slipway-gitcache-"));
    const image = { git: [m] } as unknown as ImageConfig;
    const placed = placeGitFiles(image, undefined, new Map([[remoteKey(m), tree]]));
    expect(placed.all.map((p) => [p.dest, p.gitDir])).toEqual([["/srv/lib/a.txt", tree.gitDir], ["/srv/lib/b.txt", tree.gitDir]]);
    expect(placed.dependencies.install).toEqual([`lib/a.txt ${tree.files.find((f) => f.path === "lib/a.txt")!.blob}`]);
  });
});
