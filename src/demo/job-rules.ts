/**
 * GitLab's job state rules for the two job actions slipway calls, as GitLab's Jobs API
 * documents them and enforces them: a job can be canceled only while it may still run,
 * and retried only once it has ended (success, failed or canceled), and only once: a
 * retry clones the job under a new id and marks the old one `retried`, which GitLab then
 * refuses to retry again. The fakes share these so tests meet the rules the real API has.
 */

export const CANCELABLE: ReadonlySet<string> = new Set(["created", "waiting_for_resource", "preparing", "pending", "running"]);
export const RETRYABLE: ReadonlySet<string> = new Set(["success", "failed", "canceled"]);

export type Refusal = { status: 403; message: string } | undefined;

export function cancelRefusal(job: { status: string }): Refusal {
  return CANCELABLE.has(job.status) ? undefined : { status: 403, message: `403 Forbidden - Job is not cancelable (status ${job.status})` };
}

export function retryRefusal(job: { status: string; retried?: boolean }): Refusal {
  if (job.retried) return { status: 403, message: "403 Forbidden - Job is not retryable (already retried)" };
  return RETRYABLE.has(job.status) ? undefined : { status: 403, message: `403 Forbidden - Job is not retryable (status ${job.status})` };
}
