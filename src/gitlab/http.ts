import { GitLabError } from "../errors.ts";
import { DEFAULT_RETRY, retry, withRetryAfter, type RetryPolicy } from "../util/retry.ts";
import type { CreatedRunner, CreateRunnerRequest, GitLabApi, GitLabJob, RunnerSummary } from "./types.ts";

export interface GitLabHttpOptions {
  /** Base URL of the instance, e.g. https://gitlab.example.com */
  url: string;
  token: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Default: the shared policy (5 tries). */
  retry?: RetryPolicy;
}

interface JobJson {
  id: number;
  name?: string;
  status: string;
  tag_list?: string[];
  created_at?: string;
  finished_at?: string | null;
  runner?: { id: number } | null;
}

function toJob(projectId: number, j: JobJson): GitLabJob {
  return {
    id: j.id,
    projectId,
    name: j.name ?? "",
    status: j.status,
    tags: Array.isArray(j.tag_list) ? j.tag_list : [],
    createdAt: j.created_at ?? new Date(0).toISOString(),
    ...(j.finished_at ? { finishedAt: j.finished_at } : {}),
    ...(j.runner && typeof j.runner.id === "number" ? { runnerId: j.runner.id } : {}),
  };
}

/** The GitLab REST API v4 through fetch: Web standards only, so it runs in Deno and Lambda alike. */
export function createGitLabClient(opts: GitLabHttpOptions): GitLabApi {
  const doFetch = opts.fetch ?? fetch;
  const base = `${opts.url.replace(/\/+$/, "")}/api/v4`;

  const policy = opts.retry ?? DEFAULT_RETRY;

  /** One request; throttling, 5xx and connection failures throw a retryable GitLabError, other answers return. */
  async function once(method: string, path: string, body?: URLSearchParams): Promise<Response> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: { "PRIVATE-TOKEN": opts.token, accept: "application/json" },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new GitLabError(`GitLab ${method} ${path}: ${(err as Error).message}`, undefined, "NETWORK_ERROR", { cause: err });
    }
    if (res.status === 429 || res.status >= 500) {
      await res.body?.cancel();
      throw withRetryAfter(new GitLabError(`GitLab ${method} ${path}: HTTP ${res.status}`, res.status), res.headers.get("retry-after"));
    }
    return res;
  }
  /**
   * GitLab's classifier: reads and deletes are repeated on any transient failure. A POST
   * only on 429 (GitLab did not act on it): after a 5xx or a dropped connection the runner
   * may exist, and a second one would be a leftover for the reaper.
   */
  const transient = (method: string) => (err: unknown) => err instanceof GitLabError && err.retryable && (method !== "POST" || err.status === 429);
  const call = (method: string, path: string, body?: URLSearchParams) => retry(policy, transient(method), () => once(method, path, body));
  async function json<T>(method: string, path: string, body?: URLSearchParams): Promise<T> {
    const res = await call(method, path, body);
    if (!res.ok) throw new GitLabError(`GitLab ${method} ${path}: HTTP ${res.status}`, res.status);
    return (await res.json()) as T;
  }

  return {
    async getJob(projectId, jobId) {
      const res = await call("GET", `/projects/${projectId}/jobs/${jobId}`);
      if (res.status === 404) return undefined;
      if (!res.ok) throw new GitLabError(`GitLab GET job ${jobId}: HTTP ${res.status}`, res.status);
      return toJob(projectId, (await res.json()) as JobJson);
    },
    async listPendingJobs(projectId) {
      const jobs = await json<JobJson[]>("GET", `/projects/${projectId}/jobs?scope[]=pending&per_page=100`);
      return jobs.map((j) => toJob(projectId, j));
    },
    async createRunner(req: CreateRunnerRequest): Promise<CreatedRunner> {
      const form = new URLSearchParams({
        runner_type: "project_type",
        project_id: String(req.projectId),
        description: req.description,
        tag_list: req.tags.join(","),
        run_untagged: "false",
      });
      const r = await json<{ id: number; token: string }>("POST", "/user/runners", form);
      return { id: r.id, token: r.token };
    },
    async listRunners(): Promise<RunnerSummary[]> {
      const rs = await json<Array<{ id: number; description?: string }>>("GET", "/runners?type=project_type&per_page=100");
      return rs.map((r) => ({ id: r.id, description: r.description ?? "" }));
    },
    async listJobs(projectId, scopes) {
      const query = scopes.map((s) => `scope[]=${encodeURIComponent(s)}`).join("&");
      const jobs = await json<JobJson[]>("GET", `/projects/${projectId}/jobs?${query}${query ? "&" : ""}per_page=100`);
      return jobs.map((j) => toJob(projectId, j));
    },
    async cancelJob(projectId, jobId) {
      return toJob(projectId, await json<JobJson>("POST", `/projects/${projectId}/jobs/${jobId}/cancel`));
    },
    async retryJob(projectId, jobId) {
      return toJob(projectId, await json<JobJson>("POST", `/projects/${projectId}/jobs/${jobId}/retry`));
    },
    async deleteRunner(id) {
      const res = await call("DELETE", `/runners/${id}`);
      if (!res.ok && res.status !== 404) throw new GitLabError(`GitLab DELETE runner ${id}: HTTP ${res.status}`, res.status);
    },
  };
}
