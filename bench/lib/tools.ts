import { run } from "../../src/util/process.ts";

export type ToolName = "slipway" | "docker" | "buildkit";
export const TOOLS: ToolName[] = ["slipway", "docker", "buildkit"];

export const TOOL_LABELS: Record<ToolName, string> = {
  slipway: "slipway (bp --with-stages, one process per job)",
  docker: "docker classic (pull + build --cache-from + push)",
  buildkit: "BuildKit inline cache (build --cache-from + push)",
};

/** What one CI job needs: a fresh engine, the app's working tree and where to publish. */
export interface Job {
  socketPath: string;
  appDir: string;
  /** Registry host:port. */
  host: string;
  /** Repository path for this tool and run, e.g. r1-slipway. */
  repo: string;
  /** Base image ref in the registry. */
  base: string;
  /** The bundled slipway CLI (an ES module run with node). */
  cli: string;
  /** A fresh SLIPWAY_HOME for this job (a fresh node has no local state). */
  home: string;
}

/** Debian's client: the engine is 20.10 and a newer client on PATH may refuse it. */
const DOCKER = "/usr/bin/docker";
const BRANCH = "main";

async function step(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<string> {
  const res = await run(cmd, args, { env: { ...process.env, ...env }, cwd });
  if (res.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${res.code}:\n${res.stderr.slice(-4000)}`);
  return res.stdout;
}

/** What slipway's own reports say about a job: where its time went, seen from inside. */
export interface SlipwayDetail {
  /** Stage name -> status of `bp`, e.g. {install: "registry", gitLatest: "appended"}. */
  stages: Record<string, string>;
  /** Stage name -> seconds `bp` spent on it. */
  stageSeconds: Record<string, number>;
  /** totals.seconds of `bp`: time inside the library, without process start-up. */
  bpSeconds: number;
}

interface Report {
  images: { name: string; stages: { name: string; status: string; seconds: number }[] }[];
  totals: { seconds: number };
}

function detail(bp: Report): SlipwayDetail {
  const stages = bp.images.flatMap((i) => i.stages.map((s) => ({ ...s, name: i.name ? `${i.name}.${s.name}` : s.name })));
  return {
    stages: Object.fromEntries(stages.map((s) => [s.name, s.status])),
    stageSeconds: Object.fromEntries(stages.map((s) => [s.name, s.seconds])),
    bpSeconds: bp.totals.seconds,
  };
}

/** The pipeline's build job with slipway: one `bp` process (it pulls only what a command stage runs on). */
async function slipway(job: Job): Promise<SlipwayDetail> {
  const env = { DOCKER_HOST: `unix://${job.socketPath}`, SLIPWAY_HOME: job.home, CI_COMMIT_REF_NAME: BRANCH, BENCH_BASE: job.base, NO_COLOR: "1" };
  const repo = `${job.host}/${job.repo}`;
  const bp = await step(process.execPath, [job.cli, "bp", repo, "--with-stages", "--tag-ci", "--dir", job.appDir, "--json"], env);
  return detail(JSON.parse(bp) as Report);
}

/** The classic builder's CI recipe: pull the last image for its layers, build against it, push. */
async function docker(job: Job): Promise<undefined> {
  const env = { DOCKER_HOST: `unix://${job.socketPath}`, DOCKER_BUILDKIT: "0" };
  const image = `${job.host}/${job.repo}:${BRANCH}`;
  // `docker pull ... || true`: the first build has nothing to pull.
  await run(DOCKER, ["pull", "-q", image], { env: { ...process.env, ...env } });
  await step(DOCKER, ["build", "-q", "--network", "none", "--build-arg", `BASE=${job.base}`, "--cache-from", image, "-t", image, job.appDir], env);
  await step(DOCKER, ["push", "-q", image], env);
  return undefined;
}

/** BuildKit with the cache inlined in the pushed image's config; no pull, --cache-from reads the registry. */
async function buildkit(job: Job): Promise<undefined> {
  const env = { DOCKER_HOST: `unix://${job.socketPath}`, DOCKER_BUILDKIT: "1" };
  const image = `${job.host}/${job.repo}:${BRANCH}`;
  const args = ["build", "-q", "--network", "none", "--build-arg", `BASE=${job.base}`, "--build-arg", "BUILDKIT_INLINE_CACHE=1"];
  await step(DOCKER, [...args, "--cache-from", image, "-t", image, job.appDir], env);
  await step(DOCKER, ["push", "-q", image], env);
  return undefined;
}

export const RUNNERS: Record<ToolName, (job: Job) => Promise<SlipwayDetail | undefined>> = { slipway, docker, buildkit };
