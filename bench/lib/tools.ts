import { join } from "node:path";
import { run } from "../../src/util/process.ts";
import { slipwayDetail, type SlipwayDetail } from "./report.ts";

export type ToolName = "slipway" | "slipway-dockerfile" | "docker" | "buildkit";
export type PeerName = "docker" | "buildkit";
export const PEERS: PeerName[] = ["docker", "buildkit"];
export const SLIPWAY_TOOLS: ToolName[] = ["slipway", "slipway-dockerfile"];

export function isPeer(tool: ToolName): tool is PeerName {
  return tool === "docker" || tool === "buildkit";
}

export const TOOL_LABELS: Record<ToolName, string> = {
  slipway: "slipway (slipway.yaml, bp, one process per job)",
  "slipway-dockerfile": "slipway building the Dockerfile (no slipway.yaml, bp)",
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
  /** Peers: the Dockerfile, relative to appDir (default Dockerfile). */
  dockerfile?: string;
  /** Peers: build targets, one image each, built one after another (default: the last stage, one image). */
  targets?: string[];
  /** slipway: the images `bp` builds (default: all). */
  images?: string[];
}

/** Debian's client: the engine is 20.10 and a newer client on PATH may refuse it. */
const DOCKER = "/usr/bin/docker";
const BRANCH = "main";

async function step(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const res = await run(cmd, args, { env: { ...process.env, ...env } });
  if (res.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${res.code}:\n${res.stderr.slice(-4000)}`);
  return res.stdout;
}

/** The pipeline's build job with slipway: one `bp` process (it pulls only what a command stage runs on). */
async function slipwayJob(job: Job, extra: string[]): Promise<SlipwayDetail> {
  const env = { DOCKER_HOST: `unix://${job.socketPath}`, SLIPWAY_HOME: job.home, CI_COMMIT_REF_NAME: BRANCH, BENCH_BASE: job.base, NO_COLOR: "1" };
  const repo = `${job.host}/${job.repo}`;
  // BENCH_CPU_PROF=DIR: each bp writes a V8 CPU profile there (where a job's start-up goes).
  const prof = process.env.BENCH_CPU_PROF ? ["--cpu-prof", "--cpu-prof-interval", "250", "--cpu-prof-dir", process.env.BENCH_CPU_PROF] : [];
  const out = await step(process.execPath, [...prof, job.cli, "bp", repo, ...(job.images ?? []), "--with-stages", "--tag-ci", "--dir", job.appDir, ...extra, "--json"], env);
  return slipwayDetail(JSON.parse(out));
}

/** Each image the job makes: a target and its ref (the peers' images are named as slipway names them). */
function images(job: Job): { target?: string; ref: string }[] {
  if (!job.targets) return [{ ref: `${job.host}/${job.repo}:${BRANCH}` }];
  return job.targets.map((target) => ({ target, ref: `${job.host}/${job.repo}/${target}:${BRANCH}` }));
}

function buildArgs(job: Job, target: string | undefined): string[] {
  return [
    "build", "-q", "--network", "none", "--build-arg", `BASE=${job.base}`,
    "-f", join(job.appDir, job.dockerfile ?? "Dockerfile"), ...(target ? ["--target", target] : []),
  ];
}

/** The classic builder's CI recipe: pull the last image for its layers, build against it, push. */
async function docker(job: Job): Promise<undefined> {
  const env = { DOCKER_HOST: `unix://${job.socketPath}`, DOCKER_BUILDKIT: "0" };
  for (const { target, ref } of images(job)) {
    // `docker pull ... || true`: the first build has nothing to pull.
    await run(DOCKER, ["pull", "-q", ref], { env: { ...process.env, ...env } });
    await step(DOCKER, [...buildArgs(job, target), "--cache-from", ref, "-t", ref, job.appDir], env);
  }
  for (const { ref } of images(job)) await step(DOCKER, ["push", "-q", ref], env);
  return undefined;
}

/** BuildKit with the cache inlined in the pushed image's config; no pull, --cache-from reads the registry. */
async function buildkit(job: Job): Promise<undefined> {
  const env = { DOCKER_HOST: `unix://${job.socketPath}`, DOCKER_BUILDKIT: "1" };
  for (const { target, ref } of images(job)) {
    await step(DOCKER, [...buildArgs(job, target), "--build-arg", "BUILDKIT_INLINE_CACHE=1", "--cache-from", ref, "-t", ref, job.appDir], env);
  }
  for (const { ref } of images(job)) await step(DOCKER, ["push", "-q", ref], env);
  return undefined;
}

export const RUNNERS: Record<ToolName, (job: Job) => Promise<SlipwayDetail | undefined>> = {
  slipway: (job) => slipwayJob(job, []),
  // The same Dockerfile the peers build; the base comes in as the build arg, as for them.
  "slipway-dockerfile": (job) => slipwayJob(job, ["--build-arg", `BASE=${job.base}`]),
  docker,
  buildkit,
};
