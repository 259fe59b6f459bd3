import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { BuildReport } from "../build/report.ts";
import { SlipwayError } from "../errors.ts";
import { isLive, type NodeRecord } from "../fleet/types.ts";
import type { DemoEnvironment } from "./environment.ts";
import type { FakeJob } from "./fake-gitlab.ts";
import { jobHookPayload, type DemoProject } from "./hook.ts";
import { jobScript } from "./job-script.ts";
import { expandJobVariables, pipelineJob, type PipelineJob } from "./pipeline.ts";
import type { DemoRepo } from "./repo.ts";
import type { JobResult } from "./summary.ts";
import { readMarks, startupTimes, TIMING_FILE } from "./timing.ts";

export interface JobRequest {
  step: string;
  jobId: number;
  ref: string;
  jobName: string;
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63);

/** The variables GitLab predefines for a branch pipeline's job. */
export function predefinedVariables(job: FakeJob, project: DemoProject, registryHost: string, serverUrl: string): Record<string, string> {
  return {
    CI: "true",
    GITLAB_CI: "true",
    CI_SERVER_URL: serverUrl,
    CI_JOB_ID: String(job.id),
    CI_JOB_NAME: job.name,
    CI_JOB_NAME_SLUG: slug(job.name),
    CI_JOB_STAGE: job.stage,
    CI_PIPELINE_ID: String(project.pipelineId),
    CI_PIPELINE_SOURCE: "push",
    CI_PROJECT_ID: String(project.id),
    CI_PROJECT_PATH: project.path,
    CI_PROJECT_NAME: project.path.split("/").pop() ?? project.path,
    CI_DEFAULT_BRANCH: project.defaultBranch,
    CI_COMMIT_SHA: job.sha,
    CI_COMMIT_SHORT_SHA: job.sha.slice(0, 8),
    CI_COMMIT_REF_NAME: job.ref,
    CI_COMMIT_REF_SLUG: slug(job.ref),
    CI_COMMIT_BRANCH: job.ref,
    CI_REGISTRY: registryHost,
    CI_REGISTRY_IMAGE: `${registryHost}/${project.path}`,
  };
}

async function readJson(path: string): Promise<BuildReport | undefined> {
  return readFile(path, "utf8").then((t) => JSON.parse(t) as BuildReport, () => undefined);
}

async function readDotenv(path: string): Promise<Record<string, string> | undefined> {
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  return Object.fromEntries(text.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

/** Polls the fleet until the job's node has come and gone. */
export async function nodeOf(env: DemoEnvironment, jobId: number, signal: AbortSignal, timeoutMs: number): Promise<NodeRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    const node = (await env.fleet.list()).find((n) => n.jobId === jobId);
    if (node && !isLive(node)) return node;
    const skipped = env.notLaunched.get(jobId);
    if (!node && skipped) throw new SlipwayError(`job ${jobId}: no node was launched (${skipped})`);
    if (Date.now() > deadline) throw new SlipwayError(`job ${jobId}: no finished node after ${timeoutMs / 1000} s (node: ${node ? node.state : "never launched"})`);
    await sleep(250);
  }
}

/** A job written out for a node: its script in jobsDir/<id>/job.sh, its record for the fake GitLab. */
export interface PreparedJob {
  fake: FakeJob;
  job: PipelineJob;
  artifactsDir: string;
}

/**
 * Writes job `jobId`'s script for the commit `ref` points to; `before` lines run ahead of
 * the job's own script (the interruption step makes its first node wait to be reclaimed).
 */
export async function prepareJob(env: DemoEnvironment, repo: DemoRepo, project: DemoProject, req: JobRequest, before: string[] = []): Promise<PreparedJob> {
  const sha = await repo.git("rev-parse", req.ref);
  const job = pipelineJob(await repo.git("show", `${sha}:.gitlab-ci.yml`), req.jobName);
  const fake: FakeJob = { id: req.jobId, projectId: project.id, name: job.name, stage: job.stage, status: "pending", tags: job.tags, ref: req.ref, sha, createdAt: new Date().toISOString() };
  const variables = expandJobVariables(job, predefinedVariables(fake, project, env.registry.host, env.gitlab.url));
  const artifactsDir = join(env.artifactsDir, String(req.jobId));
  await mkdir(join(env.jobsDir, String(req.jobId)), { recursive: true });
  const script = jobScript({ job: { ...job, script: [...before, ...job.script] }, variables, repoUrl: `file://${repo.dir}`, ref: req.ref, sha, artifactsDir });
  await writeFile(join(env.jobsDir, String(req.jobId), "job.sh"), script);
  return { fake, job, artifactsDir };
}

/** POSTs the job's Job Hook to the webhook, as GitLab does when the job becomes pending. Returns when it was sent. */
export async function postHook(env: DemoEnvironment, project: DemoProject, fake: FakeJob, signal: AbortSignal): Promise<number> {
  const hookAt = Date.now();
  const res = await fetch(`${env.functions.url}/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-gitlab-token": env.webhookSecret, "x-gitlab-event": "Job Hook" },
    body: JSON.stringify(jobHookPayload(fake, project, new Date())),
    signal,
  });
  if (res.status !== 202) throw new SlipwayError(`job ${fake.id}: the webhook answered ${res.status} ${await res.text()}`);
  return hookAt;
}

/** Waits for the job's node to come and go, records the job's end in the fake GitLab, reads the artifacts. */
export async function collectJob(env: DemoEnvironment, p: PreparedJob, o: { step: string; ref: string; hookAt: number; started: number; signal: AbortSignal }): Promise<JobResult> {
  const node = await nodeOf(env, p.fake.id, o.signal, 15 * 60_000);
  const ok = node.reason === "job-finished (exit 0)";
  const startup = startupTimes(o.hookAt, node, await readMarks(join(p.artifactsDir, TIMING_FILE)));
  env.gitlab.setStatus(p.fake.id, ok ? "success" : "failed");
  return {
    step: o.step, jobId: p.fake.id, nodeId: node.id, ref: o.ref, outcome: node.reason ?? "unknown", ok,
    wallSeconds: (Date.now() - o.started) / 1000,
    ...(startup && { startup }),
    pull: await readJson(join(p.artifactsDir, "slipway-pull.json")),
    bp: await readJson(join(p.artifactsDir, "slipway-bp.json")),
    dotenv: p.job.dotenv ? await readDotenv(join(p.artifactsDir, p.job.dotenv)) : undefined,
  };
}

/**
 * Runs one job of the pipeline the way GitLab would start it: the job becomes pending in
 * the (fake) GitLab, its Job Hook is POSTed to the webhook, the launcher starts a fresh
 * node, the node runs the job's script and powers off. Returns what its artifacts say.
 */
export async function runJob(env: DemoEnvironment, repo: DemoRepo, project: DemoProject, req: JobRequest, signal: AbortSignal): Promise<JobResult> {
  const started = Date.now();
  const prepared = await prepareJob(env, repo, project, req);
  env.gitlab.add(prepared.fake);
  const hookAt = await postHook(env, project, prepared.fake, signal);
  return collectJob(env, prepared, { step: req.step, ref: req.ref, hookAt, started, signal });
}
