import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { SlipwayError } from "../errors.ts";
import { isLive } from "../fleet/types.ts";
import type { DemoEnvironment } from "./environment.ts";
import type { DemoProject } from "./hook.ts";
import { collectJob, postHook, prepareJob } from "./jobs.ts";
import type { DemoRepo } from "./repo.ts";
import type { JobResult } from "./summary.ts";
import { readMarks, TIMING_FILE } from "./timing.ts";

export interface InterruptContext {
  env: DemoEnvironment;
  repo: DemoRepo;
  project: DemoProject;
  signal: AbortSignal;
  progress: (line: string) => void;
}

/** Polls until `pred` gives a value (or the deadline passes). */
async function until<T>(what: string, pred: () => Promise<T | undefined>, signal: AbortSignal, timeoutMs = 5 * 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    const v = await pred();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new SlipwayError(`interruption step: ${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/**
 * `slipway demo --interrupt`: a Build job whose node is reclaimed while the job runs. The
 * node goes (as a spot reclaim takes it), GitLab still shows the job running, the reaper's
 * next run cancels it, retries it once through the Jobs API and launches the retry's node
 * (on-demand first); a second run changes nothing. The retry is the row this step adds.
 */
export async function runInterruption(ctx: InterruptContext, jobId: number): Promise<JobResult> {
  const { env, signal } = ctx;
  const step = `${jobId - 100} reclaimed node → retried`;
  ctx.progress(`── ${step}: job ${jobId}'s node is taken away mid-job; the reaper cancels the job and retries it on a new node`);
  ctx.project.pipelineId += 1;
  const first = await prepareJob(env, ctx.repo, ctx.project, { step, jobId, ref: "main", jobName: "Build" }, ["echo 'this node will be reclaimed'", "sleep 600"]);
  // GitLab's retry clones the job under the next id; the fake GitLab numbers like that too.
  const retry = await prepareJob(env, ctx.repo, ctx.project, { step, jobId: jobId + 1, ref: "main", jobName: "Build" });
  env.gitlab.add(first.fake);
  const started = Date.now();
  await postHook(env, ctx.project, first.fake, signal);
  const node = await until("the first node starting the job", async () => {
    const n = (await env.fleet.list()).find((x) => x.jobId === jobId);
    // A node that is gone, or one never launched, will not start the job: say so now.
    if (n && !isLive(n)) throw new SlipwayError(`interruption step: job ${jobId}'s node ${n.id} ended before the job started (${n.reason ?? n.state})`);
    const skipped = env.notLaunched.get(jobId);
    if (!n && skipped) throw new SlipwayError(`interruption step: job ${jobId}: no node was launched (${skipped})`);
    return n && (await readMarks(join(first.artifactsDir, TIMING_FILE))).started ? n : undefined;
  }, signal, 3 * 60_000);
  env.gitlab.setStatus(jobId, "running");
  await env.fleet.terminate(node.id, "reclaimed (demo)");
  ctx.progress(`   ${node.id} reclaimed while job ${jobId} runs; GitLab still shows it running`);
  const retriedAt = Date.now();
  const report = await env.reap();
  const outcome = report.recovered[0];
  if (report.recovered.length !== 1 || outcome?.kind !== "retried" || outcome.retriedJobId !== jobId + 1) {
    throw new SlipwayError(`interruption step: the reaper should have retried job ${jobId} as ${jobId + 1}: ${JSON.stringify(report.recovered)} ${report.errors.join("; ")}`);
  }
  ctx.progress(`   reaper: job ${jobId} canceled and retried as ${outcome.retriedJobId}; its node: ${outcome.launch}`);
  if ((await env.reap()).recovered.length !== 0) throw new SlipwayError("interruption step: a second reaper run retried again");
  const result = await collectJob(env, retry, { step, ref: "main", hookAt: retriedAt, started, signal });
  const actions = env.gitlab.actions.join(", ");
  if (actions !== `cancel ${jobId}, retry ${jobId} -> ${jobId + 1}`) throw new SlipwayError(`interruption step: GitLab saw ${actions}`);
  ctx.progress(`   ${result.nodeId} powered off (${result.outcome}); GitLab saw: ${actions}; a second reaper run changed nothing`);
  return result;
}
