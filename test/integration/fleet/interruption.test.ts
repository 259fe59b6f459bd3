import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitLab, type FakeGitLab, type FakeJob } from "../../../src/demo/fake-gitlab.ts";
import { run, stopProcess, waitFor } from "../../../src/util/process.ts";
import { scratchDir } from "../../support/services.ts";
import { nodePids, waitForNode } from "./support.ts";

/**
 * A killed local node is an interrupted node: its job, still running in GitLab, is
 * canceled and retried once through the Jobs API, and the retry gets a new node. Driven
 * through the CLI (`functions serve`, `functions run reaper|reconciler`, `fleet ls`)
 * against the demo's fake GitLab, which enforces GitLab's cancel and retry rules.
 */

const ENTRY = fileURLToPath(new URL("./cli-entry.ts", import.meta.url));
const TSX = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));
const PROJECT = 7;

let gitlab: FakeGitLab;
let serve: ChildProcess;
let env: Record<string, string>;
let url: string;

const cli = (...args: string[]) => run(TSX, [ENTRY, ...args], { env: { ...process.env, ...env } });
const job = (id: number): FakeJob => ({
  id, projectId: PROJECT, name: "Build", stage: "build", status: "pending", tags: ["slipway"], ref: "main", sha: "0".repeat(40), createdAt: new Date().toISOString(),
});
const hook = (id: number) =>
  fetch(`${url}/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-gitlab-token": "hook-secret" },
    body: JSON.stringify({ object_kind: "build", build_status: "pending", build_id: id, project_id: PROJECT }),
  });
const kill = (pid: number, group = false) => {
  try {
    process.kill(group ? -pid : pid, "SIGKILL");
  } catch {
    /* already gone */
  }
};

beforeAll(async () => {
  gitlab = await startFakeGitLab();
  const port = 20000 + Math.floor(Math.random() * 20000);
  url = `http://127.0.0.1:${port}`;
  env = {
    SLIPWAY_HOME: await scratchDir("slipway-home-"),
    SLIPWAY_WEBHOOK_SECRET: "hook-secret",
    SLIPWAY_FLEET: "local",
    GITLAB_URL: gitlab.url,
    GITLAB_TOKEN: gitlab.token,
    SLIPWAY_PROJECTS: String(PROJECT),
    SLIPWAY_MAX_NODES: "4",
    // The first jobs run until killed; a retry (a new job id) finishes at once.
    SLIPWAY_JOB_COMMAND: 'case "$CI_JOB_ID" in 3001|3002|3050) sleep 600 ;; *) echo "retry $CI_JOB_ID ran" ;; esac',
    SLIPWAY_REAPER_EVERY: "1h",
    SLIPWAY_RECONCILER_EVERY: "1h",
    PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
  };
  serve = spawn(TSX, [ENTRY, "functions", "serve", "--port", String(port)], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  serve.stderr?.on("data", (b: Buffer) => process.env.DEBUG_SERVE && process.stderr.write(b));
  await waitFor("functions serve", async () => (await fetch(`${url}/webhook`).catch(() => undefined))?.status === 405, 30_000);
}, 60_000);

afterAll(async () => {
  if (serve) await stopProcess(serve, 30_000);
  await gitlab?.close();
}, 60_000);

describe("interrupted jobs on the local fleet", () => {
  it("the GitLab fake refuses what GitLab refuses: cancel of a finished job, retry of a running one", async () => {
    gitlab.add({ ...job(2990), status: "success" });
    gitlab.add({ ...job(2991), status: "running" });
    const post = (path: string) => fetch(`${gitlab.url}/api/v4/projects/${PROJECT}/jobs/${path}`, { method: "POST", headers: { "private-token": gitlab.token } });
    expect((await post("2990/cancel")).status).toBe(403);
    expect((await post("2991/retry")).status).toBe(403);
    expect((await post("2990/retry")).status).toBe(201);
    expect((await post("2990/retry")).status).toBe(403);
    expect(gitlab.actions).toEqual(["retry 2990 -> 2992"]);
    gitlab.actions.length = 0;
  });

  it("retries a running job whose node was killed once, gives it a new node, and leaves live nodes alone", async () => {
    for (const id of [3001, 3002]) {
      gitlab.add(job(id));
      expect((await hook(id)).status).toBe(202);
    }
    const victim = await waitForNode(env.SLIPWAY_HOME, 3001, (n) => n.state === "running");
    const survivor = await waitForNode(env.SLIPWAY_HOME, 3002, (n) => n.state === "running");
    gitlab.setStatus(3001, "running");
    gitlab.setStatus(3002, "running");
    for (const pid of await nodePids(victim)) kill(pid, pid === victim.bootstrapPid);
    await waitForNode(env.SLIPWAY_HOME, 3001, (n) => n.state === "terminated");

    const reaped = await cli("functions", "run", "reaper");
    expect(reaped.code, reaped.stderr).toBe(0);
    const report = JSON.parse(reaped.stdout) as { recovered: Array<Record<string, unknown>>; terminated: unknown[] };
    expect(report.recovered).toHaveLength(1);
    expect(report.recovered[0]).toMatchObject({ kind: "retried", nodeId: victim.id, jobId: 3001, canceled: true, cause: "node-gone" });
    const retriedId = report.recovered[0].retriedJobId as number;
    expect(gitlab.actions).toEqual(["cancel 3001", `retry 3001 -> ${retriedId}`]);
    expect(reaped.stderr).toMatch(/"event":"recovery.interrupted".*"why":"node terminated, job running in GitLab"/);

    const ls = JSON.parse((await cli("fleet", "ls", "--json")).stdout) as Array<Record<string, unknown>>;
    const fresh = ls.filter((n) => n.jobId === retriedId);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({ retryOf: 3001, capacity: "on-demand" });
    expect(fresh[0].id).not.toBe(victim.id);

    for (const name of ["reaper", "reconciler", "reaper"]) {
      const again = await cli("functions", "run", name);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout).recovered).toEqual([]);
    }
    expect(gitlab.actions).toEqual(["cancel 3001", `retry 3001 -> ${retriedId}`]);
    expect(gitlab.get(3002)?.status).toBe("running");
    const still = JSON.parse((await cli("fleet", "ls", "--json")).stdout) as Array<Record<string, unknown>>;
    expect(still.find((n) => n.id === survivor.id)?.state).toBe("running");
    expect(still.filter((n) => n.jobId === retriedId)).toHaveLength(1);
  }, 180_000);

  it("the reconciler alone also finds a running job whose node is gone", async () => {
    gitlab.add(job(3050));
    expect((await hook(3050)).status).toBe(202);
    const victim = await waitForNode(env.SLIPWAY_HOME, 3050, (n) => n.state === "running");
    gitlab.setStatus(3050, "running");
    for (const pid of await nodePids(victim)) kill(pid, pid === victim.bootstrapPid);
    await waitForNode(env.SLIPWAY_HOME, 3050, (n) => n.state === "terminated");
    const rec = await cli("functions", "run", "reconciler");
    expect(rec.code, rec.stderr).toBe(0);
    const recovered = JSON.parse(rec.stdout).recovered as Array<Record<string, unknown>>;
    expect(recovered.map((r) => [r.kind, r.jobId])).toEqual([["retried", 3050]]);
    expect(gitlab.actions.filter((a) => a.includes("3050"))).toEqual(["cancel 3050", `retry 3050 -> ${recovered[0].retriedJobId}`]);
    expect(JSON.parse((await cli("functions", "run", "reaper")).stdout).recovered).toEqual([]);
  }, 180_000);
});
