import type { GitLabApi, GitLabJob } from "../gitlab/types.ts";
import { CapacityError, isLive, type Capacity, type Fleet, type NodeRecord } from "./types.ts";

/** Web-standard use cases shared by the launcher and reconciler functions (no Node APIs). */

export type FleetMode = "pool" | "per-job";

export interface FleetSettings {
  /** Runner tags this fleet serves. */
  tags: string[];
  mode: FleetMode;
  nodeTtlMs: number;
  /**
   * Market the node of a retried (interrupted) job tries first (SLIPWAY_RETRY_CAPACITY,
   * default on-demand: the spot pool that just reclaimed a node may do it again).
   */
  retryCapacity?: Capacity;
}

export interface LaunchDeps {
  gitlab: GitLabApi;
  fleet: Fleet;
  settings: FleetSettings;
  now: () => Date;
}

export interface LaunchRequest {
  jobId: number;
  projectId: number;
  /** The interrupted job this one retries, when the caller knows (recovery does). */
  retryOf?: number;
}

export type LaunchOutcome =
  | { kind: "launched"; node: NodeRecord }
  | { kind: "exists"; node: NodeRecord }
  | { kind: "skipped"; reason: string }
  | { kind: "retry"; reason: string };

/**
 * Pool nodes run any job whose tags they all carry; a per-job runner is created with the
 * job's own tags, so there it is enough that the job asks for one of the fleet's tags.
 */
export function servedBy(settings: FleetSettings, job: GitLabJob): boolean {
  if (job.tags.length === 0) return false;
  return settings.mode === "pool" ? job.tags.every((t) => settings.tags.includes(t)) : job.tags.some((t) => settings.tags.includes(t));
}

/** Per-job runners are named after their job and birth time, so the reaper can find leftovers. */
export function runnerDescription(jobId: number, at: Date): string {
  return `slipway-job-${jobId}@${Math.floor(at.getTime() / 1000)}`;
}

export function parseRunnerDescription(d: string): { jobId: number; createdAt: Date } | undefined {
  const m = /^slipway-job-(\d+)@(\d+)$/.exec(d);
  return m ? { jobId: Number(m[1]), createdAt: new Date(Number(m[2]) * 1000) } : undefined;
}

/** Re-reads the job, then launches one node for it. Idempotent per job id. */
export async function launchForJob(deps: LaunchDeps, req: LaunchRequest): Promise<LaunchOutcome> {
  const job = await deps.gitlab.getJob(req.projectId, req.jobId);
  if (!job) return { kind: "skipped", reason: "job not found" };
  if (job.status !== "pending") return { kind: "skipped", reason: `job is ${job.status}` };
  if (!servedBy(deps.settings, job)) return { kind: "skipped", reason: `tags [${job.tags.join(",")}] not served` };
  const nodes = await deps.fleet.list();
  const existing = nodes.find((n) => n.jobId === job.id && isLive(n));
  if (existing) return { kind: "exists", node: existing };
  // A Job Hook for a retry may arrive before recovery launches for it: the note on the
  // interrupted node says which job it was.
  const retryOf = req.retryOf ?? nodes.find((n) => n.interruption?.retriedJobId === job.id)?.jobId;
  const now = deps.now();
  const runner =
    deps.settings.mode === "per-job"
      ? await deps.gitlab.createRunner({ projectId: job.projectId, tags: job.tags, description: runnerDescription(job.id, now) })
      : undefined;
  try {
    const node = await deps.fleet.launch({
      jobId: job.id,
      projectId: job.projectId,
      expiresAt: new Date(now.getTime() + deps.settings.nodeTtlMs),
      ...(runner ? { runner } : {}),
      variables: { CI_JOB_NAME: job.name },
      ...(retryOf !== undefined && { retryOf, capacity: deps.settings.retryCapacity ?? "on-demand" }),
    });
    return { kind: "launched", node };
  } catch (err) {
    // The runner was made for this launch only; a later retry creates its own.
    if (runner) await deps.gitlab.deleteRunner(runner.id).catch(() => undefined);
    if (err instanceof CapacityError) return { kind: "retry", reason: err.message };
    throw err;
  }
}
