import * as pulumi from "@pulumi/pulumi";

/** Pool: nodes use one shared runner token. Per-job: the launcher creates a runner per job tag. */
export type RunnerMode = "pool" | "per-job";

/** Every setting of the program, parsed once from stack config (namespace `slipway`). */
export interface SlipwayConfig {
  gitlabUrl: string;
  mode: RunnerMode;
  runnerTags: string[];
  /** GitLab project ids the reconciler polls for pending jobs without a node. */
  projects: string[];
  repositoryName: string;
  untaggedExpiryDays: number;
  amiId: string;
  instanceTypes: string[];
  spot: boolean;
  spotMaxPrice?: string;
  hopLimit: number;
  volumeSizeGb: number;
  /** Root device of the AMI: /dev/xvda on Amazon Linux (the runner-image recipe), /dev/sda1 on Ubuntu. */
  rootDeviceName: string;
  nodeLifetimeMinutes: number;
  runnerWaitTimeoutSeconds: number;
  maxNodes: number;
  /** Stopped on-demand nodes kept ready for StartInstances; 0 = no warm pool. */
  warmPoolSize: number;
  vpcId?: string;
  subnetIds: string[];
  vpcCidr: string;
  logRetentionDays: number;
  schedules: { reaper: string; reconciler: string; cleanup: string };
  /** Optional: the account id, used in ARNs only when the registry does not report it. */
  accountId?: string;
  secrets: { webhookSecret?: pulumi.Output<string>; gitlabToken?: pulumi.Output<string>; runnerToken?: pulumi.Output<string> };
}

/** The config namespace is fixed (not the project name) so the keys read the same in every stack file. */
export const CONFIG_NAMESPACE = "slipway";

/**
 * The stored value as it is: the CLI hands every value over as a string, but a harness that
 * feeds a stack file's parsed YAML may hand over booleans, numbers or lists.
 */
function raw(cfg: pulumi.Config, key: string): unknown {
  return cfg.get(key) as unknown;
}

/** A list setting: YAML list, JSON array string, or comma-separated string. */
function list(cfg: pulumi.Config, key: string, fallback: string[]): string[] {
  const value = raw(cfg, key);
  if (value === undefined || String(value).trim() === "") return fallback;
  const text = String(value).trim();
  const items: unknown = Array.isArray(value) ? value : text.startsWith("[") ? JSON.parse(text) : text.split(",");
  if (!Array.isArray(items)) throw new Error(`slipway:${key} must be a list`);
  return items.map((s) => String(s).trim()).filter((s) => s.length > 0);
}

function positive(cfg: pulumi.Config, key: string, fallback: number): number {
  const value = raw(cfg, key);
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`slipway:${key} must be a positive integer, got ${n}`);
  return n;
}

function wholeNumber(cfg: pulumi.Config, key: string, fallback: number): number {
  const value = raw(cfg, key);
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`slipway:${key} must be a whole number (0 or more), got ${n}`);
  return n;
}

function bool(cfg: pulumi.Config, key: string, fallback: boolean): boolean {
  const value = raw(cfg, key);
  if (value === undefined) return fallback;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw new Error(`slipway:${key} must be true or false, got ${String(value)}`);
}

function mode(cfg: pulumi.Config): RunnerMode {
  const m = cfg.get("mode") ?? "per-job";
  if (m !== "pool" && m !== "per-job") throw new Error(`slipway:mode must be "pool" or "per-job", got "${m}"`);
  return m;
}

export function loadConfig(): SlipwayConfig {
  const cfg = new pulumi.Config(CONFIG_NAMESPACE);
  const subnetIds = list(cfg, "subnetIds", []);
  const vpcId = cfg.get("vpcId");
  if ((vpcId === undefined) !== (subnetIds.length === 0)) throw new Error("slipway:vpcId and slipway:subnetIds go together: set both or neither");
  const instanceTypes = list(cfg, "instanceTypes", ["m6i.large", "m5.large"]);
  if (instanceTypes.length === 0) throw new Error("slipway:instanceTypes needs at least one type");
  return {
    gitlabUrl: cfg.require("gitlabUrl").replace(/\/+$/, ""),
    mode: mode(cfg),
    runnerTags: list(cfg, "runnerTags", ["slipway"]),
    projects: list(cfg, "projects", []),
    repositoryName: cfg.get("repositoryName") ?? "slipway",
    untaggedExpiryDays: positive(cfg, "untaggedExpiryDays", 7),
    amiId: cfg.require("amiId"),
    instanceTypes,
    spot: bool(cfg, "spot", true),
    spotMaxPrice: cfg.get("spotMaxPrice"),
    hopLimit: positive(cfg, "hopLimit", 1),
    volumeSizeGb: positive(cfg, "volumeSizeGb", 50),
    rootDeviceName: cfg.get("rootDeviceName") ?? "/dev/xvda",
    nodeLifetimeMinutes: positive(cfg, "nodeLifetimeMinutes", 90),
    runnerWaitTimeoutSeconds: positive(cfg, "runnerWaitTimeoutSeconds", 600),
    maxNodes: positive(cfg, "maxNodes", 10),
    warmPoolSize: wholeNumber(cfg, "warmPoolSize", 0),
    vpcId,
    subnetIds,
    vpcCidr: cfg.get("vpcCidr") ?? "10.42.0.0/16",
    logRetentionDays: positive(cfg, "logRetentionDays", 14),
    schedules: {
      reaper: cfg.get("reaperSchedule") ?? "rate(5 minutes)",
      reconciler: cfg.get("reconcilerSchedule") ?? "rate(5 minutes)",
      cleanup: cfg.get("cleanupSchedule") ?? "cron(0 3 * * ? *)",
    },
    accountId: cfg.get("accountId"),
    secrets: { webhookSecret: cfg.getSecret("webhookSecret"), gitlabToken: cfg.getSecret("gitlabToken"), runnerToken: cfg.getSecret("runnerToken") },
  };
}
