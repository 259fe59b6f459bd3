import type { Fleet, LaunchSpec, NodeRecord } from "../../../../src/fleet/types.ts";
import { cancelRefusal, retryRefusal } from "../../../../src/demo/job-rules.ts";
import { GitLabError } from "../../../../src/errors.ts";
import { type CreateRunnerRequest, type GitLabApi, type GitLabJob } from "../../../../src/gitlab/types.ts";

/** An in-memory GitLab: jobs by id, runners created and deleted; every call is recorded. */
export function fakeGitLab(jobs: GitLabJob[] = []) {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const retried = new Set<number>();
  const found = (p: number, id: number) => {
    const j = byId.get(id);
    if (!j || j.projectId !== p) throw new GitLabError(`GitLab job ${id}: HTTP 404`, 404);
    return j;
  };
  const runners = new Map<number, CreateRunnerRequest>();
  const calls: string[] = [];
  let nextRunner = 100;
  const api: GitLabApi = {
    async getJob(_p, id) {
      calls.push(`getJob ${id}`);
      return byId.get(id);
    },
    async listPendingJobs(p) {
      calls.push(`listPending ${p}`);
      return [...byId.values()].filter((j) => j.projectId === p && j.status === "pending");
    },
    async createRunner(req) {
      const id = nextRunner++;
      runners.set(id, req);
      calls.push(`createRunner ${id}`);
      return { id, token: `glrt-token-${id}` };
    },
    async listRunners() {
      return [...runners].map(([id, r]) => ({ id, description: r.description }));
    },
    async deleteRunner(id) {
      calls.push(`deleteRunner ${id}`);
      runners.delete(id);
    },
    async listJobs(p, scopes) {
      calls.push(`listJobs ${p} ${scopes.join(",")}`);
      return [...byId.values()].filter((j) => j.projectId === p && scopes.includes(j.status));
    },
    async cancelJob(p, id) {
      const j = found(p, id);
      const refusal = cancelRefusal(j);
      calls.push(`cancelJob ${id}${refusal ? ` ${refusal.status}` : ""}`);
      if (refusal) throw new GitLabError(refusal.message, refusal.status);
      j.status = "canceled";
      return { ...j };
    },
    async retryJob(p, id) {
      const j = found(p, id);
      const refusal = retryRefusal({ status: j.status, retried: retried.has(id) });
      calls.push(`retryJob ${id}${refusal ? ` ${refusal.status}` : ""}`);
      if (refusal) throw new GitLabError(refusal.message, refusal.status);
      retried.add(id);
      const clone: GitLabJob = { ...j, id: Math.max(...byId.keys()) + 1, status: "pending" };
      byId.set(clone.id, clone);
      return { ...clone };
    },
  };
  return { api, jobs: byId, runners, calls };
}

export function job(over: Partial<GitLabJob> = {}): GitLabJob {
  return { id: 1977, projectId: 380, name: "build", status: "pending", tags: ["slipway"], createdAt: "2026-11-27T02:00:00.000Z", ...over };
}

/** An in-memory fleet, idempotent per job like the real providers; `launches` counts real launches. */
export function memoryFleet(now: () => Date = () => new Date()) {
  const nodes: NodeRecord[] = [];
  const specs: LaunchSpec[] = [];
  let seq = 0;
  const fleet: Fleet = {
    async launch(spec) {
      const own = nodes.find((n) => n.jobId === spec.jobId && n.state !== "terminated");
      if (own) return own;
      specs.push(spec);
      const n: NodeRecord = {
        id: `n-${++seq}`, jobId: spec.jobId, projectId: spec.projectId, state: "launching",
        launchedAt: now().toISOString(), expiresAt: spec.expiresAt.toISOString(),
        ...(spec.retryOf !== undefined && { retryOf: spec.retryOf }),
        ...(spec.capacity && { capacity: spec.capacity }),
      };
      nodes.push(n);
      return n;
    },
    async list() {
      return nodes.map((n) => ({ ...n }));
    },
    async terminate(id, reason) {
      const n = nodes.find((x) => x.id === id);
      if (n) Object.assign(n, { state: "terminated", reason });
    },
    async mark(id) {
      const n = nodes.find((x) => x.id === id);
      if (n) n.markedAt = now().toISOString();
    },
    async noteInterruption(id, note) {
      const n = nodes.find((x) => x.id === id);
      if (n) n.interruption = { ...n.interruption, ...note };
    },
  };
  return { fleet, nodes, specs };
}

export function webhookRequest(body: string, token: string | undefined, extra: Record<string, string> = {}): Request {
  const headers: Record<string, string> = { "content-type": "application/json", "x-gitlab-event": "Job Hook", ...extra };
  if (token !== undefined) headers["x-gitlab-token"] = token;
  return new Request("http://localhost/webhook", { method: "POST", headers, body });
}
