import assert from "node:assert/strict";
import launcher, { type LauncherEnv } from "../../../functions/launcher/index.ts";
import { FleetError, GitLabError } from "../../../src/errors.ts";
import { withCap } from "../../../src/fleet/cap.ts";
import type { FleetSettings } from "../../../src/fleet/launcher.ts";
import { fakeGitLab, job, memoryFleet } from "./support/fakes.ts";
import { test } from "./support/harness.ts";

const NOW = new Date("2026-11-27T02:00:10.000Z");

function setup(o: { jobs?: ReturnType<typeof job>[]; settings?: Partial<FleetSettings>; maxNodes?: number } = {}) {
  const gl = fakeGitLab(o.jobs ?? [job()]);
  const mem = memoryFleet(() => NOW);
  const settings: FleetSettings = { tags: ["slipway"], mode: "pool", nodeTtlMs: 90 * 60_000, ...o.settings };
  const env: LauncherEnv = { gitlab: gl.api, fleet: withCap(mem.fleet, o.maxNodes ?? 10), settings, now: () => NOW };
  return { gl, mem, env };
}

const msg = (id: string, body: unknown) => ({ id, body: typeof body === "string" ? body : JSON.stringify(body) });

test("launcher: a pending job with the fleet's tag gets one node that expires after the TTL", async () => {
  const { mem, env } = setup();
  const r = await launcher.queue({ messages: [msg("m1", { jobId: 1977, projectId: 380 })] }, env);
  assert.deepEqual(r.retry, []);
  assert.equal(mem.nodes.length, 1);
  assert.equal(mem.specs[0].expiresAt.toISOString(), "2026-11-27T03:30:10.000Z");
  assert.equal(mem.specs[0].runner, undefined);
});

test("launcher: duplicate and out-of-order messages give one node", async () => {
  const { mem, env } = setup();
  const m = { jobId: 1977, projectId: 380 };
  await launcher.queue({ messages: [msg("a", m), msg("b", m)] }, env);
  await launcher.queue({ messages: [msg("c", m)] }, env);
  assert.equal(mem.nodes.length, 1);
});

test("launcher: a job no longer pending, unknown, or with foreign tags is skipped", async () => {
  const { mem, env } = setup({
    jobs: [job({ id: 1, status: "running" }), job({ id: 2, tags: ["docker"] }), job({ id: 3, tags: [] }), job({ id: 4, tags: ["slipway", "gpu"] })],
  });
  const ids = [1, 2, 3, 4, 5];
  const r = await launcher.queue({ messages: ids.map((id) => msg(`m${id}`, { jobId: id, projectId: 380 })) }, env);
  assert.deepEqual(r.retry, []);
  assert.equal(mem.nodes.length, 0);
});

test("launcher: a full fleet asks for a retry and launches nothing", async () => {
  const { mem, env } = setup({ jobs: [job({ id: 1 }), job({ id: 2 })], maxNodes: 1 });
  const r = await launcher.queue({ messages: [msg("m1", { jobId: 1, projectId: 380 }), msg("m2", { jobId: 2, projectId: 380 })] }, env);
  assert.deepEqual(r.retry, ["m2"]);
  assert.equal(mem.nodes.length, 1);
});

test("launcher: malformed messages are dropped, GitLab failures retried", async () => {
  const { env } = setup();
  env.gitlab.getJob = async () => {
    throw new GitLabError("GitLab GET job: HTTP 503", 503);
  };
  const r = await launcher.queue({ messages: [msg("bad", "not json"), msg("bad2", { jobId: "x" }), msg("ok", { jobId: 1977, projectId: 380 })] }, env);
  assert.deepEqual(r.retry, ["ok"]);
});

test("launcher: per-job mode creates a runner for exactly the job's tags and hands its token to the node", async () => {
  const { gl, mem, env } = setup({ jobs: [job({ tags: ["slipway", "slipway-2366-build"] })], settings: { mode: "per-job" } });
  await launcher.queue({ messages: [msg("m1", { jobId: 1977, projectId: 380 })] }, env);
  const [[runnerId, req]] = [...gl.runners];
  assert.deepEqual(req.tags, ["slipway", "slipway-2366-build"]);
  assert.equal(req.projectId, 380);
  assert.deepEqual(mem.specs[0].runner, { id: runnerId, token: `glrt-token-${runnerId}` });
});

test("launcher: per-job mode deletes the runner when the launch fails", async () => {
  const { gl, env } = setup({ settings: { mode: "per-job" } });
  env.fleet = { ...env.fleet, launch: async () => { throw new Error("RunInstances failed"); } };
  const r = await launcher.queue({ messages: [msg("m1", { jobId: 1977, projectId: 380 })] }, env);
  assert.deepEqual(r.retry, ["m1"]);
  assert.equal(gl.runners.size, 0);
});

test("launcher: a permanent failure (GitLab 403, a bad launch template) is dropped with a log line, not retried", async () => {
  const { env } = setup({ jobs: [job({ id: 1 }), job({ id: 2 })] });
  const lines: Array<[string, Record<string, unknown> | undefined]> = [];
  env.log = (event, fields) => void lines.push([event, fields]);
  const getJob = env.gitlab.getJob;
  env.gitlab.getJob = async (p, id) => {
    if (id === 1) throw new GitLabError("GitLab GET job 1: HTTP 403", 403);
    return getJob(p, id);
  };
  env.fleet = { ...env.fleet, launch: async () => { throw new FleetError("RunInstances: InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateId.NotFound", false, 400); } };
  const r = await launcher.queue({ messages: [msg("m1", { jobId: 1, projectId: 380 }), msg("m2", { jobId: 2, projectId: 380 })] }, env);
  assert.deepEqual(r.retry, []);
  assert.deepEqual(lines.filter(([e]) => e === "launcher.dropped").map(([, f]) => f?.jobId), [1, 2]);
});

test("launcher: a throttled fleet asks for a retry", async () => {
  const { env } = setup();
  env.fleet = { ...env.fleet, launch: async () => { throw new FleetError("RunInstances: RequestLimitExceeded", "RequestLimitExceeded", true, 503); } };
  const r = await launcher.queue({ messages: [msg("m1", { jobId: 1977, projectId: 380 })] }, env);
  assert.deepEqual(r.retry, ["m1"]);
});
