import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

type JobJson = Record<string, unknown> & { id: number; status: string; tag_list: string[] };

const template = JSON.parse(readFileSync(new URL("../../../fixtures/events/api-job-pending.json", import.meta.url), "utf8")) as JobJson;

/** A job as GET /projects/:id/jobs/:job_id returns it, from the documented example. */
export function apiJob(over: Partial<JobJson> = {}): JobJson {
  return { ...structuredClone(template), ...over };
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * A local HTTP fake of the GitLab REST API v4 endpoints slipway calls, answering with the
 * documented payload shapes. It checks PRIVATE-TOKEN and records every request.
 */
export async function startGitLabFake(token = "glpat-test") {
  const jobs = new Map<string, JobJson>(); // key: `${projectId}/${jobId}`
  const runners = new Map<number, Record<string, string>>();
  const requests: string[] = [];
  /** Statuses the next requests get instead of an answer, in order (429/5xx as GitLab sends them under load). */
  const faults: number[] = [];
  let nextRunner = 12345;
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://x");
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      const send = (status: number, value?: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(value === undefined ? "" : JSON.stringify(value));
      };
      const fault = faults.shift();
      if (fault !== undefined) return send(fault, { message: `${fault}` });
      if (req.headers["private-token"] !== token) return send(401, { message: "401 Unauthorized" });
      const p = url.pathname;
      let m: RegExpMatchArray | null;
      if (req.method === "GET" && (m = p.match(/^\/api\/v4\/projects\/(\d+)\/jobs\/(\d+)$/))) {
        const j = jobs.get(`${m[1]}/${m[2]}`);
        return j ? send(200, j) : send(404, { message: "404 Not found" });
      }
      if (req.method === "GET" && (m = p.match(/^\/api\/v4\/projects\/(\d+)\/jobs$/))) {
        const scopes = url.searchParams.getAll("scope[]");
        const list = [...jobs].filter(([k, j]) => k.startsWith(`${m?.[1]}/`) && (!scopes.length || scopes.includes(j.status))).map(([, j]) => j);
        return send(200, list);
      }
      if (req.method === "POST" && p === "/api/v4/user/runners") {
        const form = Object.fromEntries(new URLSearchParams(await body(req)));
        if (form.runner_type !== "project_type" || !form.project_id) return send(400, { message: "400 Bad request" });
        const id = nextRunner++;
        runners.set(id, form);
        return send(201, { id, token: `glrt-${id}`, token_expires_at: null });
      }
      if (req.method === "GET" && p === "/api/v4/runners") {
        return send(200, [...runners].map(([id, r]) => ({ id, description: r.description, active: true, paused: false, is_shared: false, runner_type: "project_type", name: null, online: false, status: "never_contacted" })));
      }
      if (req.method === "DELETE" && (m = p.match(/^\/api\/v4\/runners\/(\d+)$/))) {
        return runners.delete(Number(m[1])) ? send(204) : send(404, { message: "404 Runner Not Found" });
      }
      send(404, { error: "404 Not Found" });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    url, token, jobs, runners, requests, faults, close, [Symbol.asyncDispose]: close,
    setJob: (projectId: number, j: JobJson) => jobs.set(`${projectId}/${j.id}`, j),
  };
}
