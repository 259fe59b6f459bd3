import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { run } from "../../../src/util/process.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const GCL = join(ROOT, "node_modules/gitlab-ci-local/dist/index.js");
const SET_METHODS = fileURLToPath(new URL("./set-methods.mjs", import.meta.url));

const STAGES = ["Build", "Review", "Stop review", "Stage", "Production", "Cleanup registry", "Cleanup builder"];

interface ListedJob { name: string; stage: string; when: string; allow_failure: boolean; needs?: Array<{ job: string }> }

let repo: string;
const clones: string[] = [];
const git = async (...args: string[]) => {
  const r = await run("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: repo, env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null" } });
  if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
};

/** A project repository like a user's: the example app plus the pipeline, on main, with an origin. */
beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), "slipway-gcl-"));
  await cp(join(ROOT, "examples/app"), repo, { recursive: true });
  await cp(join(ROOT, "examples/.gitlab-ci.yml"), join(repo, ".gitlab-ci.yml"));
  await git("init", "-q", "-b", "main");
  await git("remote", "add", "origin", "https://gitlab.example.com/demo/shop.git");
  await git("add", "-A");
  await git("commit", "-qm", "shop");
  await git("branch", "feature/login");
});

/** A fresh clone of `branch`, with origin pointing at "GitLab" again, so scenarios can run at once. */
async function checkout(branch: string, name: string): Promise<string> {
  const dir = join(repo, "..", `${repo.split("/").pop()}-${name}`);
  clones.push(dir);
  for (const args of [["clone", "-q", "--branch", branch, repo, dir], ["-C", dir, "remote", "set-url", "origin", "https://gitlab.example.com/demo/shop.git"]]) {
    const r = await run("git", args, { env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null" } });
    if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  }
  return dir;
}

afterAll(async () => {
  for (const dir of [repo, ...clones]) if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * The jobs gitlab-ci-local would run (when: never dropped), for a checkout of `branch`.
 * gitlab-ci-local parses and schema-validates the file the way GitLab does (extends,
 * rules, needs, environments); each call works in its own clone.
 */
async function listJobs(branch: string, variables: string[] = []): Promise<ListedJob[]> {
  const dir = await checkout(branch, `${branch.replace(/\W/g, "-")}-${variables.length}`);
  const args = ["--import", SET_METHODS, GCL, "--list-json", "--home", join(dir, ".gcl-home"), "--ignore-predefined-vars", "CI_PIPELINE_SOURCE"];
  for (const v of variables) args.push("--variable", v);
  const r = await run(process.execPath, args, { cwd: dir, env: { ...process.env, HOME: dir } });
  if (r.code !== 0) throw new Error(`gitlab-ci-local exited ${r.code}: ${r.stderr}${r.stdout}`);
  const json = r.stdout.slice(r.stdout.search(/^\[/m));
  return (JSON.parse(json) as ListedJob[]).filter((j) => j.when !== "never");
}

// Concurrent: each scenario is a separate gitlab-ci-local process of a few seconds.
describe.concurrent("examples/.gitlab-ci.yml, as gitlab-ci-local parses it", () => {
  it("runs Build, then Stage and a manual Production on the default branch", async ({ expect }) => {
    const jobs = await listJobs("main");
    expect(jobs.map((j) => [j.name, j.stage, j.when])).toEqual([
      ["Build", "Build", "on_success"],
      ["Deploy to Stage", "Stage", "on_success"],
      ["Deploy to Production", "Production", "manual"],
    ]);
    expect(jobs.find((j) => j.name === "Deploy to Stage")?.needs?.map((n) => n.job)).toEqual(["Build"]);
  }, 60_000);

  it("runs Build, Review and a manual Stop review on a feature branch", async ({ expect }) => {
    const jobs = await listJobs("feature/login");
    expect(jobs.map((j) => [j.name, j.stage, j.when])).toEqual([
      ["Build", "Build", "on_success"],
      ["Review", "Review", "on_success"],
      ["Stop review", "Stop review", "manual"],
    ]);
  }, 60_000);

  it("runs only the cleanups in a scheduled pipeline", async ({ expect }) => {
    const jobs = await listJobs("main", ["CI_PIPELINE_SOURCE=schedule"]);
    expect(jobs.map((j) => [j.name, j.stage])).toEqual([
      ["Cleanup registry", "Cleanup registry"],
      ["Cleanup builder", "Cleanup builder"],
    ]);
  }, 60_000);
});

describe("examples/.gitlab-ci.yml, structure", () => {
  const doc = async () => parse(await (await import("node:fs/promises")).readFile(join(ROOT, "examples/.gitlab-ci.yml"), "utf8")) as Record<string, Record<string, unknown>>;

  it("declares the seed's seven stages in order", async () => {
    expect((await doc()).stages).toEqual(STAGES);
  });

  it("builds on the fleet's nodes with a dotenv report that deploy jobs read as exact digests", async () => {
    const d = await doc();
    expect(d[".slipway-node"].tags).toEqual(["slipway"]);
    expect(d.Build.extends).toBe(".slipway-node");
    expect(d.Build.script).toEqual([
      "slipway bp $SLIPWAY_REPO --with-stages --tag-ci --dotenv build.env --report slipway-bp.json",
    ]);
    expect(d.Build.artifacts).toMatchObject({ reports: { dotenv: "build.env" } });
    expect(JSON.stringify(d[".deploy"].script)).toContain("$SLIPWAY_IMAGE_APP");
    expect(d.Review.environment).toMatchObject({ on_stop: "Stop review" });
    expect(d["Stop review"].environment).toMatchObject({ action: "stop" });
    expect(d["Cleanup registry"].script).toEqual(["slipway cleanup repo $SLIPWAY_REPO"]);
    expect(d["Cleanup registry"].rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "schedule"' }]);
    expect(String(d["Cleanup builder"].script)).toMatch(/^slipway stages cleanup local /);
  });
});
