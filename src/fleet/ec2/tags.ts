import type { NodeRecord, NodeState } from "../types.ts";

/** The tags every slipway instance carries from creation; IAM policies and the reaper key on them. */
export const TAG = {
  app: "app",
  jobId: "slipway:job-id",
  project: "slipway:project",
  expiresAt: "slipway:expires-at",
  markedAt: "slipway:marked-at",
} as const;
export const APP = "slipway";

export interface InstanceView {
  InstanceId?: string;
  LaunchTime?: Date;
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
  return {
    id: i.InstanceId,
    jobId,
    projectId: Number(tags.get(TAG.project) ?? 0),
    state: stateOf(i.State?.Name),
    launchedAt: (i.LaunchTime ?? new Date(0)).toISOString(),
    expiresAt: tags.get(TAG.expiresAt) ?? new Date(0).toISOString(),
    ...(marked ? { markedAt: marked } : {}),
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
