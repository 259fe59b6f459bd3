import { launchForJob, type LaunchDeps, type LaunchOutcome } from "./launcher.ts";
import { mayBeInterrupted, recoverNode, type RecoveryLog, type RecoveryOutcome } from "./recovery.ts";
import { isLive, type NodeRecord } from "./types.ts";

export interface ReconcileDeps extends LaunchDeps {
  projects: number[];
  /** Only jobs pending longer than this: younger ones are the webhook's. */
  pendingAfterMs: number;
  /** Recover running jobs whose node is gone (default true). */
  recoverInterrupted?: boolean;
  log?: RecoveryLog;
}

export interface ReconcileReport {
  checked: number;
  outcomes: Array<{ jobId: number; projectId: number } & LaunchOutcome>;
  /** Running jobs whose node is gone, canceled and retried (or found retried elsewhere). */
  recovered: RecoveryOutcome[];
  errors: string[];
}

/**
 * GitLab's side of the reaper's check: jobs GitLab shows running whose only node of ours
 * is gone. A job with a live node, or that never had a node of ours, is not touched.
 */
async function recoverRunning(d: ReconcileDeps, nodes: NodeRecord[], projectId: number, report: ReconcileReport): Promise<void> {
  for (const job of await d.gitlab.listJobs(projectId, ["running"])) {
    const mine = nodes.filter((n) => n.jobId === job.id);
    if (mine.length === 0 || mine.some(isLive)) continue;
    const last = mine.reduce((a, b) => (a.launchedAt >= b.launchedAt ? a : b));
    if (!mayBeInterrupted(last, nodes, d.now())) continue;
    const outcome = await recoverNode(d, last, "node-gone");
    if (outcome) report.recovered.push(outcome);
  }
}

/** Finds pending jobs that have no node (lost or disabled webhooks) and launches for them. */
export async function reconcile(d: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, outcomes: [], recovered: [], errors: [] };
  const nodes = await d.fleet.list();
  const withNode = new Set(nodes.filter(isLive).map((n) => n.jobId));
  for (const projectId of d.projects) {
    try {
      if (d.recoverInterrupted !== false) await recoverRunning(d, nodes, projectId, report);
      for (const job of await d.gitlab.listPendingJobs(projectId)) {
        report.checked++;
        if (withNode.has(job.id)) continue;
        if (d.now().getTime() - Date.parse(job.createdAt) < d.pendingAfterMs) continue;
        const outcome = await launchForJob(d, { jobId: job.id, projectId });
        report.outcomes.push({ jobId: job.id, projectId, ...outcome });
        if (outcome.kind === "retry") return report; // fleet full: later jobs would be refused too
      }
    } catch (err) {
      report.errors.push(`project ${projectId}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return report;
}
