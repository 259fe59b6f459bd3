/**
 * The fleet port: build nodes that live for one GitLab job. Two providers sit behind
 * it (ec2, local); callers never see their vendor types.
 */

import { FleetError } from "../errors.ts";

export type NodeState = "launching" | "running" | "terminated";

/** Which EC2 market a launch tries first; the other is the fallback. */
export type Capacity = "spot" | "on-demand";

/**
 * What recovery recorded on a node whose running job it found interrupted. Written before
 * anything is asked of GitLab and completed once the job is retried, so repeated schedule
 * runs and duplicate events see the interruption as handled and do nothing more.
 */
export interface InterruptionNote {
  /** ISO 8601: when recovery first saw the interruption. */
  at: string;
  /** spot-interruption-warning, state-change:<state>, node-gone. */
  cause: string;
  /** retried (retriedJobId set), already-retried (GitLab refused: retried elsewhere), not-retryable. */
  outcome?: "retried" | "already-retried" | "not-retryable";
  retriedJobId?: number;
}

export interface NodeRecord {
  id: string;
  jobId: number;
  projectId: number;
  state: NodeState;
  /** ISO 8601. */
  launchedAt: string;
  /** ISO 8601: the node's hard lifetime; the provider and the reaper both enforce it. */
  expiresAt: string;
  /** ISO 8601: set by the reaper when the node looked unregistered; terminated on the next run. */
  markedAt?: string;
  terminatedAt?: string;
  /** Why it ended: job-finished, lifetime, runner-failed, reaped, ... */
  reason?: string;
  /** ISO 8601: the node's engine is up and its bootstrap started (local fleet). */
  runningAt?: string;
  /** Set by recovery when this node's job was interrupted. */
  interruption?: InterruptionNote;
  /** This node runs the retry of that (interrupted) job id. */
  retryOf?: number;
  /** The market asked for first (ec2), or the preference recorded (local). */
  capacity?: Capacity;
}

export interface LaunchSpec {
  jobId: number;
  projectId: number;
  expiresAt: Date;
  /** Per-job mode: the runner created for exactly this job's tags. Absent in pool mode. */
  runner?: { id: number; token: string };
  /** CI variables the node's job sees (local fleet); ec2 nodes get theirs from GitLab. */
  variables?: Record<string, string>;
  /** The job this one retries after an interruption (recorded on the node). */
  retryOf?: number;
  /** Market to try first; absent = the provider's default (spot first unless SLIPWAY_SPOT=false). */
  capacity?: Capacity;
}

export interface Fleet {
  /** Idempotent per job id: launching twice for one job yields the same node. */
  launch(spec: LaunchSpec): Promise<NodeRecord>;
  /** Live and recently terminated nodes. */
  list(): Promise<NodeRecord[]>;
  /** Succeeds when the node is already gone. */
  terminate(id: string, reason?: string): Promise<void>;
  /** Records that the reaper found the node unregistered once. */
  mark(id: string): Promise<void>;
  /** Merges `note` into the node's interruption record (works on terminated nodes the fleet still lists). */
  noteInterruption(id: string, note: InterruptionNote): Promise<void>;
}

/** No capacity for this launch now (cap reached, or no spot nor on-demand capacity): retry later. */
export class CapacityError extends FleetError {
  override readonly name = "CapacityError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, "CAPACITY", true, undefined, options);
  }
}

export function isLive(n: NodeRecord): boolean {
  return n.state !== "terminated";
}
