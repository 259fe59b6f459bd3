/**
 * The GitLab port: the few API calls the functions need. Records are slipway's own
 * shapes (camelCase), never GitLab's JSON, so fakes and callers stay small.
 */

/** A CI job as the Jobs API reports it. `status` is GitLab's word (pending, running, success, ...). */
export interface GitLabJob {
  id: number;
  projectId: number;
  name: string;
  status: string;
  tags: string[];
  createdAt: string;
  finishedAt?: string;
  /** Set once a runner has picked the job up. */
  runnerId?: number;
}

/** A runner created for exactly one job (per-job mode). */
export interface CreatedRunner {
  id: number;
  token: string;
}

export interface RunnerSummary {
  id: number;
  description: string;
}

export interface CreateRunnerRequest {
  projectId: number;
  tags: string[];
  description: string;
}

export interface GitLabApi {
  /** undefined when GitLab answers 404 (job or project gone). */
  getJob(projectId: number, jobId: number): Promise<GitLabJob | undefined>;
  listPendingJobs(projectId: number): Promise<GitLabJob[]>;
  createRunner(req: CreateRunnerRequest): Promise<CreatedRunner>;
  /** Project runners owned by the token's user; used by the reaper to find leftovers. */
  listRunners(): Promise<RunnerSummary[]>;
  /** Succeeds when the runner is already gone. */
  deleteRunner(id: number): Promise<void>;
  /** Jobs of a project in one of `scopes` (GitLab's words: pending, running, ...). */
  listJobs(projectId: number, scopes: string[]): Promise<GitLabJob[]>;
  /**
   * POST /projects/:id/jobs/:job_id/cancel. GitLab cancels only pending or running jobs
   * (created, waiting_for_resource and the like too); anything else is a 4xx GitLabError.
   */
  cancelJob(projectId: number, jobId: number): Promise<GitLabJob>;
  /**
   * POST /projects/:id/jobs/:job_id/retry: a new job (a clone with a new id) for a
   * finished, failed or canceled job that was not retried before; otherwise a 4xx.
   */
  retryJob(projectId: number, jobId: number): Promise<GitLabJob>;
}

/** Job statuses after which no runner will ever pick the job up. */
export const FINISHED_JOB_STATUSES: ReadonlySet<string> = new Set(["success", "failed", "canceled", "skipped", "manual"]);
