import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { cancelRefusal, retryRefusal } from "./job-rules.ts";

/** A job the demo's pipeline created, as the fake GitLab reports it. */
export interface FakeJob {
  id: number;
  projectId: number;
  name: string;
  stage: string;
  status: "pending" | "running" | "success" | "failed" | "canceled";
  tags: string[];
  ref: string;
  sha: string;
  createdAt: string;
  finishedAt?: string;
  /** Set once the job was retried: GitLab refuses a second retry of the same job. */
  retried?: boolean;
}

export interface FakeGitLab extends AsyncDisposable {
  readonly url: string;
  readonly token: string;
  add(job: FakeJob): void;
  setStatus(id: number, status: FakeJob["status"]): void;
  get(id: number): FakeJob | undefined;
  /** Every cancel and retry GitLab accepted, in order: "cancel 101", "retry 101 -> 102". */
  readonly actions: string[];
  /** Cancels and retries GitLab refused (4xx), e.g. "retry 101: 403". */
  readonly refused: string[];
  close(): Promise<void>;
}

/** The Jobs API JSON GitLab answers with (the fields the launcher and reaper read). */
function jobJson(j: FakeJob): Record<string, unknown> {
  return {
    id: j.id, name: j.name, stage: j.stage, status: j.status, ref: j.ref, tag: false,
    tag_list: j.tags, created_at: j.createdAt, finished_at: j.finishedAt ?? null,
    commit: { id: j.sha }, runner: null,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/**
 * The few GitLab API v4 routes the functions call, on loopback: there is no GitLab here,
 * yet the launcher must re-read every job before it launches a node, and recovery must
 * meet GitLab's rules for cancel and retry. Anything else is 404.
 */
export async function startFakeGitLab(): Promise<FakeGitLab> {
  const token = `demo-${Math.random().toString(36).slice(2)}`;
  const jobs = new Map<number, FakeJob>();
  const actions: string[] = [];
  const refused: string[] = [];
  /** Cancel and retry under GitLab's state rules (src/demo/job-rules.ts); 201 with the job, like GitLab. */
  const jobAction = (res: ServerResponse, verb: "cancel" | "retry", projectId: number, id: number) => {
    const job = jobs.get(id);
    if (!job || job.projectId !== projectId) return send(res, 404, { message: "404 Job Not Found" });
    const refusal = verb === "cancel" ? cancelRefusal(job) : retryRefusal(job);
    if (refusal) {
      refused.push(`${verb} ${id}: ${refusal.status}`);
      return send(res, refusal.status, { message: refusal.message });
    }
    if (verb === "cancel") {
      Object.assign(job, { status: "canceled", finishedAt: new Date().toISOString() });
      actions.push(`cancel ${id}`);
      return send(res, 201, jobJson(job));
    }
    const clone: FakeJob = { ...job, id: Math.max(...jobs.keys()) + 1, status: "pending", createdAt: new Date().toISOString(), finishedAt: undefined, retried: false };
    job.retried = true;
    jobs.set(clone.id, clone);
    actions.push(`retry ${id} -> ${clone.id}`);
    return send(res, 201, jobJson(clone));
  };
  const route = (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers["private-token"] !== token) return send(res, 401, { message: "401 Unauthorized" });
    const url = new URL(req.url ?? "/", "http://fake");
    const one = /^\/api\/v4\/projects\/(\d+)\/jobs\/(\d+)$/.exec(url.pathname);
    if (req.method === "GET" && one) {
      const job = jobs.get(Number(one[2]));
      return job && job.projectId === Number(one[1]) ? send(res, 200, jobJson(job)) : send(res, 404, { message: "404 Not found" });
    }
    const list = /^\/api\/v4\/projects\/(\d+)\/jobs$/.exec(url.pathname);
    if (req.method === "GET" && list) {
      const scopes = url.searchParams.getAll("scope[]");
      const mine = [...jobs.values()].filter((j) => j.projectId === Number(list[1]) && (scopes.length === 0 || scopes.includes(j.status)));
      return send(res, 200, mine.map(jobJson));
    }
    const action = /^\/api\/v4\/projects\/(\d+)\/jobs\/(\d+)\/(cancel|retry)$/.exec(url.pathname);
    if (req.method === "POST" && action) return jobAction(res, action[3] as "cancel" | "retry", Number(action[1]), Number(action[2]));
    if (req.method === "GET" && url.pathname === "/api/v4/runners") return send(res, 200, []);
    send(res, 404, { message: "404 Not found" });
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => route(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    add: (job) => void jobs.set(job.id, job),
    get: (id) => jobs.get(id),
    actions,
    refused,
    setStatus(id, status) {
      const job = jobs.get(id);
      if (!job) return;
      job.status = status;
      if (status !== "pending" && status !== "running") job.finishedAt = new Date().toISOString();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
