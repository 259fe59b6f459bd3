import { GitLabError } from "../errors.ts";
import type { GitLabJob } from "../gitlab/types.ts";
import { launchForJob, type LaunchDeps } from "./launcher.ts";
import { isLive, type InterruptionNote, type NodeRecord } from "./types.ts";

/**
 * Recovery of a job whose node is gone or going (spot reclaim, state change, a node found
 * dead): cancel it if GitLab still shows it running, retry it through the Jobs API, and
 * launch the retry's node (on-demand first). Exactly once per interruption: the note on
 * the node says how far recovery got, and GitLab refuses to retry a job twice, so a
 * duplicate event or a concurrent run that missed the note still creates no second job.
 */

export type RecoveryLog = (event: string, fields?: Record<string, unknown>) => void;

export interface RecoveryDeps extends LaunchDeps {
  log?: RecoveryLog;
}

export type RecoveryOutcome = {
  nodeId: string;
  jobId: number;
  cause: string;
} & (
  | { kind: "retried"; retriedJobId: number; canceled: boolean; launch: string }
  | { kind: "already-retried"; reason: string }
  | { kind: "not-retryable"; reason: string }
);

const logOf = (d: RecoveryDeps): RecoveryLog => d.log ?? (() => undefined);

/**
 * The note is what lets a later run resume a retry that failed after the cancel; it is not
 * what keeps the retry single (GitLab refuses a second retry, and a canceled job without a
 * note is never retried). So a note the platform refuses (EC2 may not tag an instance that
 * is already gone) is logged, and recovery goes on.
 */
async function note(d: RecoveryDeps, node: NodeRecord, n: InterruptionNote): Promise<void> {
  await d.fleet.noteInterruption(node.id, n).catch((err: unknown) =>
    logOf(d)("recovery.note-failed", { nodeId: node.id, jobId: node.jobId, error: err instanceof Error ? err.message : String(err) }),
  );
}

/** The job statuses that mean "a runner had it": a node that is gone cannot finish it. */
const RUNNING = new Set(["running"]);

/** True when `node` ended (or is ending) while its job may still be running: worth a GitLab look. */
export function mayBeInterrupted(node: NodeRecord, all: NodeRecord[], now: Date): boolean {
  if (node.interruption?.outcome) return false;
  if (isLive(node)) return false;
  // A node that reached its lifetime was ended on purpose; its retry would hit it again.
  if (Date.parse(node.expiresAt) <= Date.parse(node.terminatedAt ?? now.toISOString())) return false;
  return !all.some((n) => n.jobId === node.jobId && n.id !== node.id && isLive(n));
}

async function cancelIfRunning(d: RecoveryDeps, job: GitLabJob): Promise<{ canceled: boolean; job: GitLabJob } | string> {
  if (!RUNNING.has(job.status)) return { canceled: false, job };
  try {
    return { canceled: true, job: await d.gitlab.cancelJob(job.projectId, job.id) };
  } catch (err) {
    if (!(err instanceof GitLabError) || err.retryable) throw err;
    // Refused: it ended meanwhile. Look again and retry only what is now retryable.
    const now = await d.gitlab.getJob(job.projectId, job.id);
    return now ? { canceled: false, job: now } : "job gone";
  }
}

async function retry(d: RecoveryDeps, node: NodeRecord, job: GitLabJob, n: InterruptionNote, canceled: boolean): Promise<RecoveryOutcome> {
  const base = { nodeId: node.id, jobId: job.id, cause: n.cause };
  let retried: GitLabJob;
  try {
    retried = await d.gitlab.retryJob(job.projectId, job.id);
  } catch (err) {
    if (!(err instanceof GitLabError) || err.retryable || err.status === 404) throw err;
    // 4xx: GitLab will never retry it (retried already by another run, or not retryable now).
    const outcome = err.status === 403 ? "already-retried" : "not-retryable";
    await note(d, node, { ...n, outcome });
    logOf(d)(`recovery.${outcome}`, { ...base, status: job.status, error: err.message });
    return { ...base, kind: outcome, reason: err.message };
  }
  await note(d, node, { ...n, outcome: "retried", retriedJobId: retried.id });
  const launch = await launchForJob(d, { jobId: retried.id, projectId: job.projectId, retryOf: job.id }).then(
    (o) => ("node" in o ? `${o.kind} ${o.node.id}` : `${o.kind}: ${o.reason}`),
    (err: unknown) => `failed: ${err instanceof Error ? err.message : String(err)} (the webhook or the reconciler launches it)`,
  );
  logOf(d)("recovery.retried", { ...base, canceled, retriedJobId: retried.id, launch });
  return { ...base, kind: "retried", retriedJobId: retried.id, canceled, launch };
}

/**
 * Recovers the job of one node that is gone or going. Returns undefined when there is
 * nothing to do: the job is not running (finished, pending, gone), or was handled before.
 */
export async function recoverNode(d: RecoveryDeps, node: NodeRecord, cause: string): Promise<RecoveryOutcome | undefined> {
  if (node.interruption?.outcome) return undefined;
  const job = await d.gitlab.getJob(node.projectId, node.jobId);
  if (!job) return undefined;
  // Only a job recovery itself canceled (the note says so) is retried when found canceled.
  const resumed = job.status === "canceled" && node.interruption !== undefined;
  if (!RUNNING.has(job.status) && !resumed) return undefined;
  const first: InterruptionNote = node.interruption ?? { at: d.now().toISOString(), cause };
  // The note first: a crash after the cancel still leaves the retry to the next run.
  if (!node.interruption) await note(d, node, first);
  logOf(d)("recovery.interrupted", { nodeId: node.id, jobId: job.id, cause: first.cause, status: job.status, why: `node ${node.state}, job ${job.status} in GitLab` });
  const c = await cancelIfRunning(d, job);
  if (typeof c === "string") return undefined;
  // Only a canceled job is retried: one that succeeded or failed on its own meanwhile is
  // left alone, and "canceling" (GitLab waiting on the runner) is retried by a later run.
  if (c.job.status !== "canceled") {
    logOf(d)("recovery.waiting", { nodeId: node.id, jobId: job.id, status: c.job.status });
    return undefined;
  }
  return retry(d, node, c.job, first, c.canceled);
}
