import { createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { gitLabRefs, localGitRefs, missingCommits } from "../../../src/gitrefs/index.ts";
import { run } from "../../../src/util/process.ts";
import { scratchDir } from "../../support/services.ts";

async function git(dir: string, ...args: string[]): Promise<string> {
  const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t", GIT_COMMITTER_DATE: "2024-01-02T03:04:05Z" };
  const res = await run("git", ["-C", dir, ...args], { env });
  if (res.code !== 0) throw new Error(`git ${args.join(" ")}: ${res.stderr}`);
  return res.stdout.trim();
}

/** A repository with branches main, feature/x and an annotated tag v1. */
async function repo(): Promise<{ dir: string; head: string }> {
  const dir = await scratchDir("slipway-git-");
  await git(dir, "init", "-q", "-b", "main");
  await git(dir, "commit", "-q", "--allow-empty", "-m", "one");
  await git(dir, "branch", "feature/x");
  await git(dir, "tag", "-a", "v1", "-m", "v1");
  return { dir, head: await git(dir, "rev-parse", "HEAD") };
}

describe("git refs from the local checkout", () => {
  it("lists branches and peeled tags with commit times when there is no remote", async () => {
    const { dir, head } = await repo();
    const refs = await localGitRefs({ dir }).list();
    expect(refs.map((r) => `${r.kind}:${r.name}`).sort()).toEqual(["branch:feature/x", "branch:main", "tag:v1"]);
    expect(refs.every((r) => r.commit === head)).toBe(true);
    expect(refs[0].time?.toISOString()).toBe("2024-01-02T03:04:05.000Z");
    await git(dir, "commit", "-q", "--allow-empty", "-m", "two");
    const main = (await localGitRefs({ dir }).list()).find((r) => r.name === "main")!;
    expect(main.history).toEqual([await git(dir, "rev-parse", "HEAD"), head]);
  });

  it("takes the remote's live branches as the truth (a shallow clone lacks them; stale tracking refs linger)", async () => {
    const { dir: origin } = await repo();
    const clone = await scratchDir("slipway-clone-");
    await run("git", ["clone", "-q", "--depth", "1", "--branch", "main", `file://${origin}`, clone]);
    await git(origin, "branch", "later");
    await git(origin, "branch", "-D", "feature/x");
    const refs = await localGitRefs({ dir: clone }).list();
    expect(refs.map((r) => `${r.kind}:${r.name}`).sort()).toEqual(["branch:later", "branch:main", "tag:v1"]);
  });

  it("fails when the remote cannot be read", async () => {
    const { dir } = await repo();
    await git(dir, "remote", "add", "origin", "/nonexistent/repo.git");
    await expect(localGitRefs({ dir }).list()).rejects.toThrow(/git ls-remote/);
  });

  it("finds commits the repository lacks", async () => {
    const { dir, head } = await repo();
    const other = "0".repeat(40);
    expect([...(await missingCommits(dir, [head, other]))]).toEqual([other]);
  });
});

describe("git refs from the GitLab API", () => {
  const servers: Array<{ close: () => void }> = [];
  afterEach(() => servers.splice(0).forEach((s) => s.close()));

  async function fakeGitLab(branches: number, status = 200) {
    const seen: Array<{ url: string; token?: string }> = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url ?? "", token: req.headers["private-token"] as string | undefined });
      const url = new URL(req.url ?? "/", "http://x");
      res.statusCode = status;
      const page = Number(url.searchParams.get("page"));
      const kind = url.pathname.endsWith("/branches") ? "branches" : "tags";
      const total = kind === "branches" ? branches : 1;
      const items = Array.from({ length: total }, (_, i) => ({ name: kind === "tags" ? "v1" : `b${i}`, commit: { id: `${i}`.padStart(40, "a"), committed_date: "2024-05-01T10:00:00.000+02:00" } })).slice((page - 1) * 100, page * 100);
      if (page * 100 < total) res.setHeader("x-next-page", String(page + 1));
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(items));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    servers.push(server);
    return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v4`, seen };
  }

  it("pages through branches and tags with the token", async () => {
    const gl = await fakeGitLab(250);
    const refs = await gitLabRefs({ apiUrl: gl.url, projectId: "group/app", token: "secret" }).list();
    expect(refs.filter((r) => r.kind === "branch")).toHaveLength(250);
    expect(refs.find((r) => r.kind === "tag")).toMatchObject({ name: "v1", time: new Date("2024-05-01T08:00:00Z") });
    expect(gl.seen.map((s) => s.url)).toContain("/api/v4/projects/group%2Fapp/repository/branches?per_page=100&page=3");
    expect(gl.seen.every((s) => s.token === "secret")).toBe(true);
  });

  it("fails on an HTTP error rather than returning a partial list", async () => {
    const gl = await fakeGitLab(1, 401);
    await expect(gitLabRefs({ apiUrl: gl.url, projectId: "1", token: "bad" }).list()).rejects.toThrow(/HTTP 401/);
  });
});
