import { UsageError } from "../errors.ts";
import { stagesRepoProblem } from "../registry/repo.ts";
import { parseDuration as parseDurationWith } from "../util/duration.ts";

/** Everything the functions and the fleet read from the environment, parsed once at the edge. */
export interface FunctionsConfig {
  webhookSecret: string;
  fleet: "local" | "ec2";
  home: string;
  gitlabUrl: string;
  gitlabToken: string;
  runnerTags: string[];
  maxNodes: number;
  nodeTtlMs: number;
  mode: "pool" | "per-job";
  projects: number[];
  reconcileAfterMs: number;
  reaper: { finishedGraceMs: number; registerGraceMs: number; runnerGraceMs: number };
  /** Interrupted jobs: retried once through GitLab (SLIPWAY_RETRY_INTERRUPTED), their node's market (SLIPWAY_RETRY_CAPACITY). */
  recovery: { enabled: boolean; capacity: "spot" | "on-demand" };
  schedules: { reaperMs: number; reconcilerMs: number; cleanupMs: number };
  local: { jobCommand?: string; runnerToken?: string; storageDriver: "overlay2" | "vfs" };
  ec2: { launchTemplate: string; subnets: string[]; instanceTypes: string[]; ssmPath: string; region: string; spot: boolean; spotMaxPrice?: string; warmPoolSize: number };
  queueUrl?: string;
  /** Registry cleanup (the scheduled cleanup function); off while `repo` is unset. */
  cleanup: CleanupSettings;
}

export interface CleanupSettings {
  /** SLIPWAY_REPO: the stages repository, host/path (infra passes the ECR repository URL). */
  repo?: string;
  /** Config image names whose tags are cleaned ("" = the nameless image in REPO itself). */
  images: string[];
  dryRun: boolean;
  /** Local only: a kubeconfig whose clusters' images are kept. Unset = Kubernetes not consulted. */
  kubeconfig?: string;
}

export interface ParseOptions {
  /** false for functions that never launch (webhook, reaper, cleanup): no launch template needed on ec2. */
  launches?: boolean;
}

/** The SLIPWAY_* durations: slipway's one grammar ("90m", "1h30m", "7d"), and bare seconds as documented. */
export function parseDuration(text: string): number | undefined {
  return parseDurationWith(text, { bareSeconds: true });
}

const list = (s: string | undefined) => (s ?? "").split(",").map((x) => x.trim()).filter(Boolean);

/**
 * A tiny reader over the environment rather than zod: the Lambda bundles include this file,
 * and zod would be 95% of their size. Every problem is collected and named with its variable.
 */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Record<string, string | undefined>) {}
  str(name: string, fallback: string): string {
    const v = this.env[name];
    return v === undefined || v === "" ? fallback : v;
  }
  opt(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === "" ? undefined : v;
  }
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.str(name, fallback);
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${name}: "${v}" is not one of ${allowed.join(", ")}`);
    return fallback;
  }
  positiveInt(name: string, fallback: number): number {
    const v = this.str(name, String(fallback));
    const n = Number(v);
    if (Number.isSafeInteger(n) && n > 0) return n;
    this.problems.push(`${name}: "${v}" is not a positive integer`);
    return fallback;
  }
  count(name: string, fallback: number): number {
    const v = this.str(name, String(fallback));
    const n = Number(v);
    if (Number.isSafeInteger(n) && n >= 0) return n;
    this.problems.push(`${name}: "${v}" is not a whole number (0 or more)`);
    return fallback;
  }
  duration(name: string, fallback: string): number {
    const v = this.str(name, fallback);
    const ms = parseDuration(v);
    if (ms !== undefined && ms > 0) return ms;
    this.problems.push(`${name}: "${v}" is not a duration (e.g. 90m, 1h30m, 2h, 30s, 7d)`);
    return parseDuration(fallback) as number;
  }
}

/** SLIPWAY_SPOT_MAX_PRICE: USD per hour, as EC2 takes it; unset = the on-demand price. */
function spotMaxPrice(r: EnvReader): { spotMaxPrice?: string } {
  const v = r.opt("SLIPWAY_SPOT_MAX_PRICE");
  if (v === undefined) return {};
  if (!/^\d+(\.\d+)?$/.test(v)) r.problems.push(`SLIPWAY_SPOT_MAX_PRICE: "${v}" is not a price in USD per hour (e.g. 0.05)`);
  return { spotMaxPrice: v };
}

/** The nameless image is written "." in SLIPWAY_CLEANUP_IMAGES (an empty list item would vanish). */
function cleanupSettings(r: EnvReader, projects: number[]): CleanupSettings {
  const repo = r.opt("SLIPWAY_REPO");
  const repoProblem = repo === undefined ? undefined : stagesRepoProblem(repo);
  if (repoProblem) r.problems.push(`SLIPWAY_REPO ${repoProblem} (got ${JSON.stringify(repo)})`);
  if (repo !== undefined && projects.length === 0) r.problems.push("SLIPWAY_PROJECTS: registry cleanup (SLIPWAY_REPO) needs the GitLab project ids whose branches and tags count");
  const images = list(r.str("SLIPWAY_CLEANUP_IMAGES", ".")).map((i) => (i === "." ? "" : i));
  const kubeconfig = r.opt("SLIPWAY_CLEANUP_KUBECONFIG");
  return {
    ...(repo !== undefined && { repo }),
    images,
    dryRun: r.oneOf("SLIPWAY_CLEANUP_DRY_RUN", ["true", "false"], "false") === "true",
    ...(kubeconfig !== undefined && { kubeconfig }),
  };
}

/** Parses and validates; every problem is named with its variable. Throws UsageError. */
export function parseFunctionsConfig(env: Record<string, string | undefined>, opts: ParseOptions = {}): FunctionsConfig {
  const r = new EnvReader(env);
  const projectsText = r.str("SLIPWAY_PROJECTS", "");
  const projects = list(projectsText).map(Number);
  if (projects.some((p) => !Number.isSafeInteger(p) || p <= 0)) r.problems.push(`SLIPWAY_PROJECTS: not a list of project ids: "${projectsText}"`);
  const tags = list(r.str("SLIPWAY_RUNNER_TAGS", "slipway"));
  if (tags.length === 0) r.problems.push("SLIPWAY_RUNNER_TAGS: at least one tag is needed");
  const ssmPath = r.str("SLIPWAY_SSM_PATH", "/slipway/runners");
  if (!/^\/[\w./-]*$/.test(ssmPath)) r.problems.push(`SLIPWAY_SSM_PATH: "${ssmPath}" must be an SSM path starting with /`);
  const queueUrl = r.opt("SLIPWAY_QUEUE_URL");
  const cfg: FunctionsConfig = {
    webhookSecret: r.str("SLIPWAY_WEBHOOK_SECRET", ""),
    fleet: r.oneOf("SLIPWAY_FLEET", ["local", "ec2"], "local"),
    home: r.str("SLIPWAY_HOME", ".slipway"),
    gitlabUrl: r.str("GITLAB_URL", "https://gitlab.com"),
    gitlabToken: r.str("GITLAB_TOKEN", ""),
    runnerTags: tags,
    maxNodes: r.positiveInt("SLIPWAY_MAX_NODES", 10),
    nodeTtlMs: r.duration("SLIPWAY_NODE_TTL", "90m"),
    mode: r.oneOf("SLIPWAY_MODE", ["pool", "per-job"], "pool"),
    projects,
    reconcileAfterMs: r.duration("SLIPWAY_RECONCILE_AFTER", "2m"),
    reaper: {
      finishedGraceMs: r.duration("SLIPWAY_FINISHED_GRACE", "2m"),
      registerGraceMs: r.duration("SLIPWAY_REGISTER_GRACE", "10m"),
      runnerGraceMs: r.duration("SLIPWAY_RUNNER_GRACE", "15m"),
    },
    recovery: {
      enabled: r.oneOf("SLIPWAY_RETRY_INTERRUPTED", ["true", "false"], "true") === "true",
      capacity: r.oneOf("SLIPWAY_RETRY_CAPACITY", ["on-demand", "spot"], "on-demand"),
    },
    schedules: {
      reaperMs: r.duration("SLIPWAY_REAPER_EVERY", "1m"),
      reconcilerMs: r.duration("SLIPWAY_RECONCILER_EVERY", "2m"),
      cleanupMs: r.duration("SLIPWAY_CLEANUP_EVERY", "1d"),
    },
    local: {
      jobCommand: r.opt("SLIPWAY_JOB_COMMAND"),
      runnerToken: r.opt("SLIPWAY_RUNNER_TOKEN"),
      storageDriver: r.oneOf("SLIPWAY_STORAGE_DRIVER", ["overlay2", "vfs"], "overlay2"),
    },
    ec2: {
      launchTemplate: r.str("SLIPWAY_LAUNCH_TEMPLATE", ""),
      subnets: list(r.str("SLIPWAY_SUBNETS", "")),
      instanceTypes: list(r.str("SLIPWAY_INSTANCE_TYPES", "")),
      ssmPath,
      region: r.str("AWS_REGION", "us-east-1"),
      spot: r.oneOf("SLIPWAY_SPOT", ["true", "false"], "true") === "true",
      ...spotMaxPrice(r),
      warmPoolSize: r.count("SLIPWAY_WARM_POOL_SIZE", 0),
    },
    ...(queueUrl ? { queueUrl } : {}),
    cleanup: cleanupSettings(r, projects),
  };
  if (cfg.fleet === "ec2" && opts.launches !== false && !cfg.ec2.launchTemplate) r.problems.push("SLIPWAY_LAUNCH_TEMPLATE: required when SLIPWAY_FLEET=ec2");
  if (r.problems.length) throw new UsageError(r.problems.join("; "));
  return cfg;
}
