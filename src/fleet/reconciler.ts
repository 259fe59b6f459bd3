import { launchForJob, type LaunchDeps, type LaunchOutcome } from "./launcher.ts";
import { isLive } from "./types.ts";

export interface ReconcileDeps extends LaunchDeps {
  projects: number[];
  /** Only jobs pending longer than this: younger ones are the webhook's. */
  pendingAfterMs: number;
}

export interface ReconcileReport {
  checked: number;
  outcomes: Array<{ jobId: number; projectId: number } & LaunchOutcome>;
  errors: string[];
}

/** Finds pending jobs that have no node (lost or disabled webhooks) and launches for them. */
export async function reconcile(d: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, outcomes: [], errors: [] };
  const withNode = new Set((await d.fleet.list()).filter(isLive).map((n) => n.jobId));
  for (const projectId of d.projects) {
    try {
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
