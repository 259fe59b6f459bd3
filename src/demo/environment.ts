import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { reap as reapNodes, type ReapReport } from "../fleet/reaper.ts";
import type { Fleet } from "../fleet/types.ts";
import type { Log } from "../log.ts";
import { parseFunctionsConfig, type FunctionsConfig } from "../functions-config/config.ts";
import { functionEnvs } from "../functions-config/envs.ts";
import type { RunningFunctions, ServeFunctions } from "../functions-config/wiring.ts";
import { createRegistry } from "../registry/index.ts";
import { startRegistry, type LocalRegistry } from "../registry/server.ts";
import { publishBaseImage } from "./base-image.ts";
import { startFakeGitLab, type FakeGitLab } from "./fake-gitlab.ts";
import { shellQuote } from "./job-script.ts";

/** Everything the demo runs, all under one temporary directory. */
export interface DemoEnvironment {
  root: string;
  registry: LocalRegistry;
  gitlab: FakeGitLab;
  functions: RunningFunctions;
  fleet: Fleet;
  webhookSecret: string;
  /** `<registry>/base/busybox:1.36`, what $SLIPWAY_BASE_IMAGE resolves to. */
  baseImage: string;
  /** Environment for every process the demo starts (nodes, the cleanup run): PATH with `slipway` on it. */
  env: Record<string, string>;
  jobsDir: string;
  artifactsDir: string;
  /** Why the launcher did not launch a job (skipped, failed, gave up), by job id: a node will never come. */
  notLaunched: Map<number, string>;
  /** One run of the reaper function, as its schedule would run it, against the served fleet. */
  reap(): Promise<ReapReport>;
}

export interface EnvironmentOptions {
  root: string;
  /** Shell words that run the slipway CLI (e.g. `'/usr/bin/node' '/x/bin/slipway.js'`). */
  slipwayCommand: string;
  storageDriver?: "overlay2" | "vfs";
  progress: (line: string) => void;
  nodeLog: (nodeId: string, line: string) => void;
  /** The local host of the functions (the CLI passes functions/runtime's serveFunctions). */
  serveFunctions: ServeFunctions;
  /** Teardown steps are pushed here as soon as each part is up, so a failure or Ctrl-C midway still stops it. */
  onTeardown: (step: () => Promise<void>) => void;
}

/** Function events worth a progress line; the rest of the structured log stays quiet. */
const SHOWN = new Set(["launcher.launched", "launcher.skipped", "launcher.failed", "launcher.dropped", "launcher.gave-up", "webhook.queued", "recovery.interrupted", "recovery.retried"]);

/** The environment nodes start from: nothing of the user's Docker, git or slipway settings. */
async function nodeEnv(root: string, slipwayCommand: string): Promise<Record<string, string>> {
  const bin = join(root, "bin");
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, "slipway"), `#!/bin/sh\nexec ${slipwayCommand} "$@"\n`);
  await chmod(join(bin, "slipway"), 0o755);
  const home = join(root, "home");
  await mkdir(home, { recursive: true });
  return {
    PATH: `${bin}:${process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin"}:/usr/sbin:/sbin`,
    HOME: home,
    LANG: "C.UTF-8",
    NO_COLOR: "1",
    GIT_CONFIG_NOSYSTEM: "1",
    ...(process.env.SLIPWAY_DEBUG ? { SLIPWAY_DEBUG: process.env.SLIPWAY_DEBUG } : {}),
  };
}

function jobIdOf(message: unknown): unknown {
  try {
    return (JSON.parse(String(message)) as { jobId?: unknown }).jobId;
  } catch {
    return undefined;
  }
}

/** The functions' settings, as `slipway functions serve` would read them from its environment. */
function functionsConfig(o: { root: string; gitlab: FakeGitLab; webhookSecret: string; jobsDir: string; storageDriver?: "overlay2" | "vfs" }): FunctionsConfig {
  return parseFunctionsConfig({
    SLIPWAY_WEBHOOK_SECRET: o.webhookSecret,
    SLIPWAY_FLEET: "local",
    SLIPWAY_MODE: "pool",
    SLIPWAY_HOME: join(o.root, "slipway-home"),
    GITLAB_URL: o.gitlab.url,
    GITLAB_TOKEN: o.gitlab.token,
    SLIPWAY_RUNNER_TAGS: "slipway",
    SLIPWAY_MAX_NODES: "2",
    SLIPWAY_NODE_TTL: "20m",
    // The node's "runner": run the script the demo prepared for this job id.
    SLIPWAY_JOB_COMMAND: `exec /bin/sh ${shellQuote(o.jobsDir)}/"$CI_JOB_ID"/job.sh`,
    SLIPWAY_REAPER_EVERY: "1h",
    SLIPWAY_RECONCILER_EVERY: "1h",
    SLIPWAY_CLEANUP_EVERY: "1d",
    SLIPWAY_STORAGE_DRIVER: o.storageDriver ?? "overlay2",
  });
}

/** Starts the registry (with a base image), the fake GitLab and the functions with the local fleet. */
export async function startEnvironment(o: EnvironmentOptions): Promise<DemoEnvironment> {
  const jobsDir = join(o.root, "jobs");
  const artifactsDir = join(o.root, "artifacts");
  await mkdir(jobsDir, { recursive: true });
  const env = await nodeEnv(o.root, o.slipwayCommand);

  o.progress("starting a private registry on loopback");
  const registry = await startRegistry({ root: join(o.root, "registry") });
  o.onTeardown(() => registry.stop());
  const baseImage = `${registry.host}/base/busybox:1.36`;
  const digest = await publishBaseImage(createRegistry({ host: registry.host }), "base/busybox", "1.36");
  o.progress(`registry ${registry.host}: base image ${baseImage} (${digest.slice(0, 19)}…), made from busybox-static`);

  const gitlab = await startFakeGitLab();
  o.onTeardown(() => gitlab.close());
  o.progress(`fake GitLab API at ${gitlab.url} (the launcher re-reads every job there)`);

  const webhookSecret = `hook-${Math.random().toString(36).slice(2)}`;
  const cfg = functionsConfig({ root: o.root, gitlab, webhookSecret, jobsDir, storageDriver: o.storageDriver });
  const notLaunched = new Map<number, string>();
  const log: Log = (event, fields = {}) => {
    if (SHOWN.has(event)) o.progress(`${event} ${JSON.stringify(fields)}`);
    if (event === "launcher.skipped" && typeof fields.jobId === "number") notLaunched.set(fields.jobId, `${event}: ${String(fields.reason)}`);
    if (event === "launcher.dropped" && typeof fields.jobId === "number") notLaunched.set(fields.jobId, `${event}: ${String(fields.error)}`);
    // The local queue gives up after its last retry, like a dead-letter queue.
    const dropped = event === "launcher.gave-up" ? jobIdOf(fields.message) : undefined;
    if (typeof dropped === "number") notLaunched.set(dropped, "launcher.gave-up after its retries (see launcher.failed above)");
  };
  const functions = await o.serveFunctions(cfg, { port: 0, host: "127.0.0.1", log, nodeLog: o.nodeLog, baseEnv: env, retryDelayMs: 1000 });
  o.onTeardown(() => functions.close());
  o.progress(`functions: webhook at ${functions.url}/webhook, launcher with the local fleet (a private Docker engine per node)`);
  // One run of the reaper use case, as its schedule would run it (the function adds only its log line).
  const reap = () => reapNodes(functionEnvs(cfg, functions.services, log).reaper);
  return { root: o.root, registry, gitlab, functions, fleet: functions.services.fleet, webhookSecret, baseImage, env, jobsDir, artifactsDir, notLaunched, reap };
}
