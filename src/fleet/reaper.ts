import type { GitLabApi, GitLabJob } from "../gitlab/types.ts";
import { FINISHED_JOB_STATUSES } from "../gitlab/types.ts";
import { parseRunnerDescription, type FleetSettings } from "./launcher.ts";
import { mayBeInterrupted, recoverNode, type RecoveryLog, type RecoveryOutcome } from "./recovery.ts";
import { isLive, type Fleet, type NodeRecord } from "./types.ts";

/** Per-instance secrets the fleet leaves behind (SSM parameters on ec2). */
export interface NodeSecrets {
  list(): Promise<string[]>;
  remove(nodeId: string): Promise<void>;
}

export interface ReapDeps {
  fleet: Fleet;
  gitlab: GitLabApi;
  secrets?: NodeSecrets;
  now: () => Date;
  /** Finished jobs keep their node this long (artifact upload, log flush). */
  finishedGraceMs: number;
  /** A node whose job is still pending after this long has not registered. */
  registerGraceMs: number;
  /** Per-job runners younger than this may still be waiting for their node. */
  runnerGraceMs: number;
  /** Look for leftover per-job runners (default true); pool fleets have none to find. */
  sweepRunners?: boolean;
  /**
   * With the fleet's settings, the reaper also recovers jobs still running on nodes that
   * are gone (cancel, retry once, launch the retry); without them it leaves those alone.
   */
  settings?: FleetSettings;
  log?: RecoveryLog;
  /** The ec2 warm pool (SLIPWAY_WARM_POOL_SIZE), kept at its size on every run. */
  pool?: { maintain(): Promise<{ size: number; launched: string[]; terminated: string[] }> };
}

export interface ReapReport {
  terminated: Array<{ id: string; jobId: number; reason: string }>;
  marked: string[];
  runnersDeleted: number[];
  secretsDeleted: string[];
  /** Interrupted jobs this run canceled and retried (or found retried elsewhere). */
  recovered: RecoveryOutcome[];
  /** Warm pool only: instances launched to refill it and retired from it this run. */
  pool?: { size: number; launched: string[]; terminated: string[] };
  errors: string[];
}

/** What to do with one live node: a reason to terminate it, "mark", or nothing. */
function verdict(d: ReapDeps, n: NodeRecord, job: GitLabJob | undefined): string | "mark" | undefined {
  const now = d.now().getTime();
  if (!job) return "job-gone";
  if (FINISHED_JOB_STATUSES.has(job.status)) {
    const ended = Date.parse(job.finishedAt ?? "") || Date.parse(n.launchedAt);
    return now - ended >= d.finishedGraceMs ? `job-${job.status}` : undefined;
  }
  if (job.status === "pending" && now - Date.parse(n.launchedAt) >= d.registerGraceMs) return n.markedAt ? "never-registered" : "mark";
  return undefined;
}

/** Later nodes for a job that already has one (a lost ClientToken race) are surplus. */
function surplus(live: NodeRecord[]): Set<string> {
  const first = new Map<number, NodeRecord>();
  const extra = new Set<string>();
  for (const n of [...live].sort((a, b) => a.launchedAt.localeCompare(b.launchedAt))) {
    if (first.has(n.jobId)) extra.add(n.id);
    else first.set(n.jobId, n);
  }
  return extra;
}

async function reapNode(d: ReapDeps, n: NodeRecord, extra: Set<string>, r: ReapReport): Promise<void> {
  let reason: string | undefined;
  if (d.now().getTime() >= Date.parse(n.expiresAt)) reason = "lifetime";
  else if (extra.has(n.id)) reason = "duplicate";
  else {
    const v = verdict(d, n, await d.gitlab.getJob(n.projectId, n.jobId));
    if (v === "mark") {
      await d.fleet.mark(n.id);
      r.marked.push(n.id);
      return;
    }
    reason = v;
  }
  if (!reason) return;
  await d.fleet.terminate(n.id, reason);
  r.terminated.push({ id: n.id, jobId: n.jobId, reason });
}

async function sweepLeftovers(d: ReapDeps, live: NodeRecord[], r: ReapReport): Promise<void> {
  const liveJobs = new Set(live.map((n) => n.jobId));
  for (const runner of d.sweepRunners === false ? [] : await d.gitlab.listRunners()) {
    const parsed = parseRunnerDescription(runner.description);
    if (!parsed || liveJobs.has(parsed.jobId)) continue;
    if (d.now().getTime() - parsed.createdAt.getTime() < d.runnerGraceMs) continue;
    await d.gitlab.deleteRunner(runner.id);
    r.runnersDeleted.push(runner.id);
  }
  const liveIds = new Set(live.map((n) => n.id));
  for (const id of (await d.secrets?.list()) ?? []) {
    if (liveIds.has(id)) continue;
    await d.secrets?.remove(id);
    r.secretsDeleted.push(id);
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Nodes that ended before their lifetime, while GitLab may still think their job runs. */
async function recoverDead(d: ReapDeps & { settings: FleetSettings }, all: NodeRecord[], r: ReapReport): Promise<void> {
  for (const n of all.filter((x) => mayBeInterrupted(x, all, d.now()))) {
    const outcome = await recoverNode(d, n, "node-gone").catch((err: unknown) => void r.errors.push(`recover ${n.id} (job ${n.jobId}): ${message(err)}`));
    if (outcome) r.recovered.push(outcome);
  }
}

/** One reaper pass. A failure on one node is reported and does not stop the others. */
export async function reap(d: ReapDeps): Promise<ReapReport> {
  const r: ReapReport = { terminated: [], marked: [], runnersDeleted: [], secretsDeleted: [], recovered: [], errors: [] };
  const all = await d.fleet.list();
  const live = all.filter(isLive);
  const extra = surplus(live);
  for (const n of live) {
    await reapNode(d, n, extra, r).catch((err: unknown) => r.errors.push(`${n.id}: ${err instanceof Error ? err.message : String(err)}`));
  }
  if (d.settings) await recoverDead({ ...d, settings: d.settings }, all, r);
  if (d.pool) r.pool = await d.pool.maintain().catch((err: unknown) => void r.errors.push(`warm pool: ${message(err)}`));
  const gone = new Set(r.terminated.map((t) => t.id));
  await sweepLeftovers(d, live.filter((n) => !gone.has(n.id)), r).catch((err: unknown) =>
    r.errors.push(`leftovers: ${err instanceof Error ? err.message : String(err)}`),
  );
  return r;
}
