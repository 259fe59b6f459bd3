import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { slugTag } from "../build/remote/tags.ts";
import type { CleanupReport } from "../cleanup/types.ts";
import { SlipwayError } from "../errors.ts";
import type { ServeFunctions } from "../functions-config/wiring.ts";
import { run } from "../util/process.ts";
import { startEnvironment, type DemoEnvironment } from "./environment.ts";
import type { DemoProject } from "./hook.ts";
import { htmlReport } from "./html.ts";
import { createDemoRepo, type DemoRepo } from "./repo.ts";
import { FEATURE_BRANCH, runStory } from "./story.ts";
import { formatSummary, summaryRow, type JobResult } from "./summary.ts";

export { formatSummary, summaryRow, type JobResult, type SummaryRow } from "./summary.ts";

export interface DemoOptions {
  /** The examples/ directory: app/ (with slipway.yaml) and .gitlab-ci.yml. */
  examplesDir: string;
  /** Shell words that run the slipway CLI on a node. */
  slipwayCommand: string;
  reportHtml?: string;
  /** Keep the temporary directory (registry data, job scripts, artifacts) for a look afterwards. */
  keep?: boolean;
  storageDriver?: "overlay2" | "vfs";
  /** Add the step where a node is reclaimed mid-job and the job is retried on a new one. */
  interrupt?: boolean;
  /** Parent of the temporary directory; default the OS's. */
  tmpBase?: string;
  signal: AbortSignal;
  progress: (line: string) => void;
  nodeLog: (nodeId: string, line: string) => void;
  /** The local host of the functions, wired by the CLI. */
  serveFunctions: ServeFunctions;
}

export interface DemoResult {
  root: string;
  jobs: JobResult[];
  cleanup: CleanupReport;
  summary: string;
}

/** `slipway cleanup repo --dry-run` against the registry, git refs from the demo repository. */
async function cleanupDryRun(env: DemoEnvironment, repo: DemoRepo, stagesRepo: string): Promise<CleanupReport> {
  const args = ["cleanup", "repo", stagesRepo, "--dry-run", "--json", "--no-kube", "--grace", "0s", "--git-refs", "local", "--dir", repo.dir];
  const r = await run(join(env.root, "bin", "slipway"), args, { env: { ...env.env, SLIPWAY_BASE_IMAGE: env.baseImage }, cwd: repo.dir });
  if (r.code !== 0) throw new SlipwayError(`slipway ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as CleanupReport;
}

function cleanupLines(report: CleanupReport): string[] {
  const images = report.tags.filter((t) => t.kind === "image");
  const stages = report.tags.filter((t) => t.kind === "stage");
  return [
    ...images.map((t) => `   ${t.action.padEnd(6)} ${t.repository}:${t.tag}  (${t.reason})`),
    `   stages: keep ${stages.filter((t) => t.action === "keep").length}, delete ${stages.filter((t) => t.action === "delete").length} (nothing deleted: dry run)`,
  ];
}

async function stopAll(steps: Array<() => Promise<void>>, progress: (line: string) => void): Promise<void> {
  for (const step of steps.reverse()) await step().catch((err: unknown) => progress(`teardown: ${err instanceof Error ? err.message : String(err)}`));
}

/**
 * The whole architecture on one machine: a private registry, the functions with the local
 * fleet, a fake GitLab API, and the example app through the seed's story. Stops every
 * process and removes its temporary directory on every path (unless `keep`).
 */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const root = await mkdtemp(join(o.tmpBase ?? tmpdir(), "slipway-demo-"));
  const teardown: Array<() => Promise<void>> = [];
  try {
    const env = await startEnvironment({
      root, slipwayCommand: o.slipwayCommand, storageDriver: o.storageDriver, progress: o.progress, nodeLog: o.nodeLog, serveFunctions: o.serveFunctions,
      onTeardown: (step) => teardown.push(step),
    });
    o.signal.throwIfAborted();
    const repo = await createDemoRepo({ examplesDir: o.examplesDir, dir: join(root, "repo"), home: env.env.HOME });
    const project: DemoProject = { id: 7, path: "demo/shop", defaultBranch: "main", pipelineId: 1000 };
    o.progress(`repository ${repo.dir}: examples/app and examples/.gitlab-ci.yml, committed on main`);
    const jobs = await runStory({ env, repo, project, signal: o.signal, progress: o.progress, interrupt: o.interrupt === true });
    const stagesRepo = `${env.registry.host}/${project.path}`;
    o.progress(`── Cleanup registry (dry run): slipway cleanup repo ${stagesRepo} --dry-run (refs from the repository)`);
    const cleanup = await cleanupDryRun(env, repo, stagesRepo);
    for (const line of cleanupLines(cleanup)) o.progress(line);
    if (!cleanup.tags.some((t) => t.kind === "image" && t.action === "delete" && t.tag === slugTag(FEATURE_BRANCH))) {
      throw new SlipwayError(`cleanup dry run: the image of the deleted branch ${FEATURE_BRANCH} is not marked for deletion`);
    }
    const summary = formatSummary(jobs.map(summaryRow));
    if (o.reportHtml) await writeFile(o.reportHtml, htmlReport(jobs, cleanupLines(cleanup).join("\n")));
    return { root, jobs, cleanup, summary };
  } finally {
    o.progress("stopping nodes, functions, fake GitLab and registry");
    await stopAll(teardown, o.progress);
    if (!o.keep) await rm(root, { recursive: true, force: true, maxRetries: 3 });
    else o.progress(`kept ${root}`);
  }
}
