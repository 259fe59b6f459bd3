import assert from "node:assert/strict";
import cleanup from "../../../functions/cleanup/index.ts";
import reaper, { type ReaperEnv } from "../../../functions/reaper/index.ts";
import reconciler, { type ReconcilerEnv } from "../../../functions/reconciler/index.ts";
import { runnerDescription } from "../../../src/fleet/launcher.ts";
import { fakeGitLab, job, memoryFleet } from "./support/fakes.ts";
import { test } from "./support/harness.ts";

const T0 = Date.parse("2026-11-27T02:00:00.000Z");
const MIN = 60_000;
const tick = { scheduledTime: T0 };

function reaperSetup(jobs = [job()]) {
  let now = new Date(T0);
  const gl = fakeGitLab(jobs);
  const mem = memoryFleet(() => now);
  const secrets = new Set<string>();
  const env: ReaperEnv = {
    fleet: mem.fleet, gitlab: gl.api, now: () => now, finishedGraceMs: 2 * MIN, registerGraceMs: 10 * MIN, runnerGraceMs: 15 * MIN,
    secrets: { list: async () => [...secrets], remove: async (id) => void secrets.delete(id) },
  };
  return { gl, mem, env, secrets, at: (ms: number) => (now = new Date(T0 + ms)) };
}

test("reaper: a node past its lifetime is terminated", async () => {
  const { mem, env, at } = reaperSetup([job({ status: "running" })]);
  await mem.fleet.launch({ jobId: 1977, projectId: 380, expiresAt: new Date(T0 + 90 * MIN) });
  at(89 * MIN);
  assert.equal((await reaper.scheduled(tick, env)).terminated.length, 0);
  at(90 * MIN);
  const r = await reaper.scheduled(tick, env);
  assert.deepEqual(r.terminated.map((t) => t.reason), ["lifetime"]);
});

test("reaper: a node whose job finished or was canceled goes after the grace period", async () => {
  const { gl, mem, env, at } = reaperSetup([job({ status: "running" })]);
  await mem.fleet.launch({ jobId: 1977, projectId: 380, expiresAt: new Date(T0 + 90 * MIN) });
  Object.assign(gl.jobs.get(1977) as object, { status: "canceled", finishedAt: new Date(T0 + 5 * MIN).toISOString() });
  at(6 * MIN);
  assert.equal((await reaper.scheduled(tick, env)).terminated.length, 0);
  at(7 * MIN);
  assert.deepEqual((await reaper.scheduled(tick, env)).terminated.map((t) => t.reason), ["job-canceled"]);
});

test("reaper: a node that never registered is marked on one run and terminated on the next", async () => {
  const { mem, env, at } = reaperSetup();
  await mem.fleet.launch({ jobId: 1977, projectId: 380, expiresAt: new Date(T0 + 90 * MIN) });
  at(11 * MIN);
  const first = await reaper.scheduled(tick, env);
  assert.equal(first.marked.length, 1);
  assert.equal(first.terminated.length, 0);
  at(12 * MIN);
  assert.deepEqual((await reaper.scheduled(tick, env)).terminated.map((t) => t.reason), ["never-registered"]);
});

test("reaper: leftover per-job runners and secrets without a live node are deleted", async () => {
  const { gl, mem, env, secrets, at } = reaperSetup([job({ status: "running" }), job({ id: 2, status: "success" })]);
  const live = await mem.fleet.launch({ jobId: 1977, projectId: 380, expiresAt: new Date(T0 + 90 * MIN) });
  await gl.api.createRunner({ projectId: 380, tags: ["x"], description: runnerDescription(1977, new Date(T0)) });
  const stale = await gl.api.createRunner({ projectId: 380, tags: ["x"], description: runnerDescription(2, new Date(T0)) });
  await gl.api.createRunner({ projectId: 380, tags: ["x"], description: "someone else's runner" });
  secrets.add(live.id).add("i-gone");
  at(16 * MIN);
  const r = await reaper.scheduled(tick, env);
  assert.deepEqual(r.runnersDeleted, [stale.id]);
  assert.deepEqual(r.secretsDeleted, ["i-gone"]);
  assert.equal(gl.runners.size, 2);
});

test("reaper: a second node for one job (lost ClientToken race) is terminated, the first kept", async () => {
  const { mem, env } = reaperSetup([job({ status: "running" })]);
  const first = await mem.fleet.launch({ jobId: 1977, projectId: 380, expiresAt: new Date(T0 + 90 * MIN) });
  mem.nodes.push({ ...first, id: "n-dup", launchedAt: new Date(T0 + 1000).toISOString() });
  const r = await reaper.scheduled(tick, env);
  assert.deepEqual(r.terminated.map((t) => [t.id, t.reason]), [["n-dup", "duplicate"]]);
});

test("reconciler: launches for old pending jobs without a node, leaves young ones to the webhook", async () => {
  const gl = fakeGitLab([
    job({ id: 1, createdAt: new Date(T0 - 10 * MIN).toISOString() }),
    job({ id: 2, createdAt: new Date(T0 - 30_000).toISOString() }),
    job({ id: 3, createdAt: new Date(T0 - 10 * MIN).toISOString(), tags: ["other"] }),
  ]);
  const mem = memoryFleet(() => new Date(T0));
  const env: ReconcilerEnv = {
    gitlab: gl.api, fleet: mem.fleet, now: () => new Date(T0), projects: [380], pendingAfterMs: 2 * MIN,
    settings: { tags: ["slipway"], mode: "pool", nodeTtlMs: 90 * MIN },
  };
  const r = await reconciler.scheduled(tick, env);
  assert.deepEqual(mem.nodes.map((n) => n.jobId), [1]);
  assert.equal(r.checked, 3);
  await reconciler.scheduled(tick, env);
  assert.equal(mem.nodes.length, 1);
});

test("cleanup: without a cleanup backend the outcome says not configured", async () => {
  const r = await cleanup.scheduled(tick, {});
  assert.equal(r.status, "not-configured");
});

test("cleanup: with a backend it runs it and reports the counts", async () => {
  const r = await cleanup.scheduled(tick, { cleanup: { run: async () => ({ deleted: 3, kept: 7 }) } });
  assert.deepEqual(r, { status: "done", deleted: 3, kept: 7, dryRun: false });
});
