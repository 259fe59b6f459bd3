import type { InterruptionNote, NodeRecord, NodeState } from "../types.ts";

/** The tags every slipway instance carries from creation; IAM policies and the reaper key on them. */
export const TAG = {
  app: "app",
  jobId: "slipway:job-id",
  project: "slipway:project",
  expiresAt: "slipway:expires-at",
  markedAt: "slipway:marked-at",
  retryOf: "slipway:retry-of",
  interruptedAt: "slipway:interrupted-at",
  interruptCause: "slipway:interrupt-cause",
  interruptOutcome: "slipway:interrupt-outcome",
  retriedJobId: "slipway:retried-job-id",
  /** Warm pool: "warm" (stopped, ready), "claimed" (started for a job). */
  pool: "slipway:pool",
} as const;

/** The interruption note as tags (CreateTags merges them into the instance's). */
export function interruptionTags(note: InterruptionNote): Array<{ Key: string; Value: string }> {
  return [
    { Key: TAG.interruptedAt, Value: note.at },
    { Key: TAG.interruptCause, Value: note.cause },
    ...(note.outcome ? [{ Key: TAG.interruptOutcome, Value: note.outcome }] : []),
    ...(note.retriedJobId !== undefined ? [{ Key: TAG.retriedJobId, Value: String(note.retriedJobId) }] : []),
  ];
}

function interruptionOf(tags: Map<string, string>): InterruptionNote | undefined {
  const at = tags.get(TAG.interruptedAt);
  if (!at) return undefined;
  const outcome = tags.get(TAG.interruptOutcome);
  const retried = Number(tags.get(TAG.retriedJobId));
  return {
    at,
    cause: tags.get(TAG.interruptCause) ?? "unknown",
    ...(outcome === "retried" || outcome === "already-retried" || outcome === "not-retryable" ? { outcome } : {}),
    ...(Number.isSafeInteger(retried) && retried > 0 ? { retriedJobId: retried } : {}),
  };
}
export const APP = "slipway";

export interface InstanceView {
  InstanceId?: string;
  LaunchTime?: Date;
  /** "spot" for spot instances; absent for on-demand. */
  InstanceLifecycle?: string;
  /** The account, as DescribeInstances reports the reservation's owner (filled in for pool instances). */
  OwnerId?: string;
  State?: { Name?: string };
  Tags?: Array<{ Key?: string; Value?: string }>;
}

function stateOf(name: string | undefined): NodeState {
  if (name === "pending") return "launching";
  if (name === "running") return "running";
  return "terminated";
}

/** Maps a DescribeInstances entry to a node record; undefined when it lacks slipway's tags. */
export function toNodeRecord(i: InstanceView): NodeRecord | undefined {
  const tags = new Map((i.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
  const jobId = Number(tags.get(TAG.jobId));
  if (!i.InstanceId || !Number.isInteger(jobId)) return undefined;
  const marked = tags.get(TAG.markedAt);
  const retryOf = Number(tags.get(TAG.retryOf));
  const interruption = interruptionOf(tags);
  return {
    id: i.InstanceId,
    jobId,
    projectId: Number(tags.get(TAG.project) ?? 0),
    state: stateOf(i.State?.Name),
    launchedAt: (i.LaunchTime ?? new Date(0)).toISOString(),
    expiresAt: tags.get(TAG.expiresAt) ?? new Date(0).toISOString(),
    ...(marked ? { markedAt: marked } : {}),
    ...(interruption ? { interruption } : {}),
    ...(Number.isSafeInteger(retryOf) && retryOf > 0 ? { retryOf } : {}),
    capacity: i.InstanceLifecycle === "spot" ? "spot" : "on-demand",
  };
}

/**
 * ClientToken for one launch attempt, derived from the job id so a retried launch returns
 * the same instance. `generation` counts this job's earlier instances, so a job relaunched
 * after its node was reaped gets a new instance rather than the replay of the dead one.
 */
export function clientToken(jobId: number, generation: string, market: "spot" | "on-demand", attempt: number): string {
  return `slipway-${jobId}-g${generation}-${market}-${attempt}`;
}
