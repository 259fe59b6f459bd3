import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import webhook from "../../../functions/gitlab-webhook/index.ts";
import { memoryDedupe, memoryQueue } from "../../../functions/runtime/ports.ts";
import type { BuildReport, StageReport } from "../../../src/build/report.ts";
import type { FakeJob } from "../../../src/demo/fake-gitlab.ts";
import { jobHookPayload } from "../../../src/demo/hook.ts";
import { htmlReport } from "../../../src/demo/html.ts";
import { jobScript } from "../../../src/demo/job-script.ts";
import { predefinedVariables } from "../../../src/demo/jobs.ts";
import { expandJobVariables, expandVariables, pipelineJob } from "../../../src/demo/pipeline.ts";
import { storyProblems } from "../../../src/demo/story.ts";
import { formatSummary, summaryRow, type JobResult } from "../../../src/demo/summary.ts";
import { run } from "../../../src/util/process.ts";

const CI_YML = fileURLToPath(new URL("../../../examples/.gitlab-ci.yml", import.meta.url));
const project = { id: 7, path: "demo/shop", defaultBranch: "main", pipelineId: 1001 };
const fakeJob = (over: Partial<FakeJob> = {}): FakeJob => ({
  id: 101, projectId: 7, name: "Build", stage: "Build", status: "pending", tags: ["slipway"], ref: "feature/login",
  sha: "a".repeat(40), createdAt: "2026-11-27T03:00:00Z", ...over,
});

const stage = (name: string, status: StageReport["status"], seconds = 1): StageReport => ({ name, digest: "d".repeat(64), status, seconds, bytesPulled: 0, bytesPushed: 0, reason: null });
const report = (stages: StageReport[], totals: Partial<BuildReport["totals"]> = {}): BuildReport => ({
  images: [{ name: "app", digest: "d", ref: "r", manifestDigest: null, stages }],
  totals: { stagesBuilt: 0, containersRun: 0, bytesPulled: 0, bytesPushed: 0, seconds: 1, ...totals },
});
const result = (over: Partial<JobResult>): JobResult => ({ step: "s", jobId: 1, nodeId: "n", ref: "main", outcome: "job-finished (exit 0)", ok: true, wallSeconds: 2, ...over });

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe("the pipeline as the demo's runner reads it", () => {
  it("takes the Build job through extends, with the global variables expanded against GitLab's", async () => {
    const job = pipelineJob(await readFile(CI_YML, "utf8"), "Build");
    expect(job.tags).toEqual(["slipway"]);
    expect(job.script).toHaveLength(1);
    expect(job.script[0]).toMatch(/^slipway bp \$SLIPWAY_REPO --with-stages --tag-ci --dotenv build\.env/);
    expect(job.artifacts).toEqual(["slipway-bp.json", "build.env"]);
    const vars = expandJobVariables(job, predefinedVariables(fakeJob(), project, "127.0.0.1:5000", "http://gitlab"));
    expect(vars.SLIPWAY_REPO).toBe("127.0.0.1:5000/demo/shop");
    expect(vars.SLIPWAY_BASE_IMAGE).toBe("127.0.0.1:5000/base/busybox:1.36");
    expect(vars.CI_COMMIT_REF_SLUG).toBe("feature-login");
    expect(vars.GITLAB_CI).toBe("true");
  });

  it("expands $X and ${X}, unknown names to empty, $$ to $", () => {
    expect(expandVariables("$A/${B}-$C $$D", { A: "a", B: "b" })).toBe("a/b- $D");
  });

  it("names a missing job", () => {
    expect(() => pipelineJob("Build: {script: [x]}", "Deploy")).toThrow(/no job "Deploy"/);
  });
});

describe("the node's job script", () => {
  async function runScript(script: string[], slipwayExit: number) {
    const root = await mkdtemp(join(tmpdir(), "slipway-jobscript-"));
    dirs.push(root);
    const repo = join(root, "repo");
    await mkdir(repo);
    const env = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
    for (const args of [["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "x"]]) await run("git", args, { cwd: repo, env });
    const sha = (await run("git", ["rev-parse", "HEAD"], { cwd: repo, env })).stdout.trim();
    const bin = join(root, "bin");
    await mkdir(bin);
    await writeFile(join(bin, "slipway"), `#!/bin/sh\necho "slipway $*" > "$CI_PROJECT_DIR/build.env"\nexit ${slipwayExit}\n`, { mode: 0o755 });
    const job = { name: "Build", stage: "Build", tags: ["slipway"], script, variables: {}, artifacts: ["build.env", "missing.json"], dotenv: "build.env" };
    const text = jobScript({ job, variables: { CI_JOB_ID: "9", CI_PROJECT_PATH: "demo/shop", SLIPWAY_REPO: "reg/demo/shop" }, repoUrl: `file://${repo}`, ref: "main", sha, artifactsDir: join(root, "artifacts") });
    const work = join(root, "work");
    await mkdir(work);
    const r = await run("/bin/sh", ["-c", text], { cwd: work, env: { ...env, PATH: `${bin}:${process.env.PATH}` } });
    return { r, root };
  }

  it("checks the commit out, runs each line with the job's variables and uploads the artifacts", async () => {
    const { r, root } = await runScript(["slipway bp $SLIPWAY_REPO"], 0);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("$ slipway bp $SLIPWAY_REPO");
    expect(await readdir(join(root, "artifacts"))).toEqual(["build.env", "slipway-timing.env"]);
    expect(await readFile(join(root, "artifacts", "build.env"), "utf8")).toBe("slipway bp reg/demo/shop\n");
  });

  it("stops at the first failing line, still uploads artifacts, and exits with its status", async () => {
    const { r, root } = await runScript(["slipway stages pull x", "echo never"], 3);
    expect(r.code).toBe(3);
    expect(r.stdout).not.toContain("\nnever");
    expect(r.stdout).toContain("ERROR: Job failed: exit code 3");
    expect(await readdir(join(root, "artifacts"))).toEqual(["build.env", "slipway-timing.env"]);
  });
});

describe("the Job Hook payload", () => {
  it("is what the gitlab-webhook function queues", async () => {
    const queue = memoryQueue();
    const env = { webhookSecret: "s", queue, dedupe: memoryDedupe() };
    const req = new Request("http://x/webhook", { method: "POST", headers: { "x-gitlab-token": "s" }, body: JSON.stringify(jobHookPayload(fakeJob(), project, new Date())) });
    const res = await webhook.fetch(req, env);
    expect(res.status).toBe(202);
    expect(queue.sent).toEqual([{ jobId: 101, projectId: 7 }]);
  });
});

describe("summary, HTML and the story's checks", () => {
  const cold = result({ step: "1 cold build", bp: report([stage("from", "registry"), stage("install", "built", 3), stage("gitLatest", "appended")], { containersRun: 1, bytesPushed: 2048 }) });

  it("counts built, appended and reused stages and sums both reports' bytes", () => {
    const row = summaryRow({ ...cold, pull: report([stage("from", "pulled")], { bytesPulled: 1000 }) });
    expect(row).toMatchObject({ built: 1, appended: 1, reused: 1, containersRun: 1, bytesPulled: 1000, bytesPushed: 2048 });
    const table = formatSummary([row]);
    expect(table.split("\n")[0]).toMatch(/^job\s+built\s+appended\s+reused/);
    expect(table).toContain("2.0 KiB");
  });

  it("writes a self-contained page with escaped text", () => {
    const page = htmlReport([{ ...cold, step: "<b>1</b>" }], "keep x");
    expect(page).toContain("&#60;b&#62;1&#60;/b&#62;");
    expect(page).not.toMatch(/<script|<link|src=/);
    expect(page.match(/class="bar"/g)?.length).toBe(3);
  });

  it("refuses a story that did not happen", () => {
    expect(storyProblems(2, result({ bp: report([stage("install", "built")]) }))[0]).toMatch(/no change/);
    expect(storyProblems(3, result({ bp: report([stage("gitLatest", "registry")]) }))[0]).toMatch(/append gitLatest/);
    expect(storyProblems(4, result({ bp: report([stage("install", "registry")]) }))[0]).toMatch(/rebuild install/);
    expect(storyProblems(1, result({ ok: false, outcome: "job-finished (exit 1)" }))).toContain("the job failed (job-finished (exit 1))");
    const startup = { webhookToLaunch: 0.1, launchToRunning: 1.2, runningToRegistered: 0.01, registeredToStarted: 0.01, total: 1.32 };
    expect(storyProblems(3, result({ bp: report([stage("gitLatest", "appended")]), startup }))).toEqual([]);
    expect(storyProblems(3, result({ bp: report([stage("gitLatest", "appended")]) }))[0]).toMatch(/time-to-start/);
  });
});

describe("the demo's fake GitLab", () => {
  it("answers the launcher's GitLab client: the job while pending, its end, 404 for others, 401 without the token", async () => {
    const { startFakeGitLab } = await import("../../../src/demo/fake-gitlab.ts");
    const { createGitLabClient } = await import("../../../src/gitlab/http.ts");
    await using gitlab = await startFakeGitLab();
    const client = createGitLabClient({ url: gitlab.url, token: gitlab.token });
    gitlab.add(fakeJob());
    expect(await client.getJob(7, 101)).toMatchObject({ id: 101, status: "pending", tags: ["slipway"], name: "Build" });
    expect((await client.listPendingJobs(7)).map((j) => j.id)).toEqual([101]);
    gitlab.setStatus(101, "success");
    expect((await client.getJob(7, 101))?.finishedAt).toBeDefined();
    expect(await client.listPendingJobs(7)).toEqual([]);
    expect(await client.getJob(7, 999)).toBeUndefined();
    expect(await client.getJob(8, 101)).toBeUndefined();
    await expect(createGitLabClient({ url: gitlab.url, token: "wrong" }).listPendingJobs(7)).rejects.toMatchObject({ status: 401 });
  });
});
