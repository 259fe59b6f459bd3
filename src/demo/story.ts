import { SlipwayError } from "../errors.ts";
import type { DemoEnvironment } from "./environment.ts";
import { runInterruption } from "./interrupt.ts";
import type { DemoProject } from "./hook.ts";
import { runJob } from "./jobs.ts";
import { addDependency, changeAppCode, type DemoRepo } from "./repo.ts";
import { stagesOf, summaryRow, type JobResult } from "./summary.ts";

export const FEATURE_BRANCH = "feature/login";

interface StoryContext {
  env: DemoEnvironment;
  repo: DemoRepo;
  project: DemoProject;
  signal: AbortSignal;
  progress: (line: string) => void;
  /** Add the reclaimed-node step (`--interrupt`). */
  interrupt?: boolean;
}

/** Stages pulled into the node's engine, by `stages pull` or `bp`. */
const pulled = (j: JobResult) => [...stagesOf(j.pull), ...stagesOf(j.bp)].filter((s) => s.status === "pulled").length;

/** What each step must show; a demo that does not show it fails instead of telling a story that did not happen. */
export function storyProblems(step: number, j: JobResult): string[] {
  const row = summaryRow(j);
  const stage = (name: string) => stagesOf(j.bp).find((s) => s.name === name)?.status;
  const problems: string[] = [];
  if (!j.ok) problems.push(`the job failed (${j.outcome})`);
  if (!j.bp) problems.push("no bp report among the job's artifacts");
  if (step === 2 && (row.built + row.appended !== 0 || pulled(j) !== 0)) problems.push(`no change should build nothing and pull no stage (built ${row.built + row.appended}, pulled ${pulled(j)})`);
  if (step === 3 && (row.containersRun !== 0 || stage("gitLatest") !== "appended")) problems.push(`an app change should run no container and append gitLatest (containers ${row.containersRun}, gitLatest ${stage("gitLatest")})`);
  if (step === 4 && stage("install") !== "built") problems.push(`a dependency change should rebuild install (install ${stage("install")})`);
  if (!j.startup) problems.push("no time-to-start marks (node runningAt, the job script's registered/started)");
  return problems;
}

async function job(ctx: StoryContext, n: number, step: string, ref: string): Promise<JobResult> {
  ctx.progress(`── ${step}: Job Hook for job ${100 + n} (Build, ref ${ref}) → webhook → launcher → fresh node`);
  ctx.project.pipelineId += 1;
  const result = await runJob(ctx.env, ctx.repo, ctx.project, { step, jobId: 100 + n, ref, jobName: "Build" }, ctx.signal);
  const row = summaryRow(result);
  ctx.progress(`   ${result.nodeId} powered off (${result.outcome}): ${row.built} built, ${row.appended} appended, ${row.reused} reused in ${result.wallSeconds.toFixed(1)} s`);
  const problems = storyProblems(n, result);
  if (problems.length) throw new SlipwayError(`${step}: ${problems.join("; ")}`);
  return result;
}

/** The seed's story, each job on a fresh node; ends with the feature branch deleted. */
export async function runStory(ctx: StoryContext): Promise<JobResult[]> {
  const { repo } = ctx;
  const jobs: JobResult[] = [];
  jobs.push(await job(ctx, 1, "1 cold build", "main"));
  jobs.push(await job(ctx, 2, "2 no change", "main"));
  await changeAppCode(repo, "Version 2: now with a basket.");
  await repo.commit("shop: basket on the front page");
  jobs.push(await job(ctx, 3, "3 app-code change", "main"));
  await addDependency(repo, "payments==3.2.0");
  await repo.commit("shop: add the payments library");
  jobs.push(await job(ctx, 4, "4 dependency change", "main"));
  await repo.git("checkout", "-q", "-b", FEATURE_BRANCH);
  await changeAppCode(repo, "Version 3: log in to see your orders.");
  await repo.commit("shop: login page");
  jobs.push(await job(ctx, 5, `5 branch ${FEATURE_BRANCH}`, FEATURE_BRANCH));
  await repo.git("checkout", "-q", "main");
  await repo.git("branch", "-q", "-D", FEATURE_BRANCH);
  ctx.progress(`── branch ${FEATURE_BRANCH} deleted from the repository`);
  if (ctx.interrupt) {
    const retried = await runInterruption(ctx, 106);
    const problems = storyProblems(6, retried);
    if (problems.length) throw new SlipwayError(`${retried.step}: ${problems.join("; ")}`);
    jobs.push(retried);
  }
  return jobs;
}
