import assert from "node:assert/strict";
import reaper, { type ReaperEnv } from "../../../functions/reaper/index.ts";
import reconciler, { type ReconcilerEnv } from "../../../functions/reconciler/index.ts";
import launcher from "../../../functions/launcher/index.ts";
import type { FleetSettings } from "../../../src/fleet/launcher.ts";
import type { NodeRecord } from "../../../src/fleet/types.ts";
import { fakeGitLab, job, memoryFleet } from "./support/fakes.ts";
import { test } from "./support/harness.ts";

const T0 = Date.parse("2026-11-27T02:00:00.000Z");
const MIN = 60_000;
const tick = { scheduledTime: T0 };
const settings: FleetSettings = { tags: ["slipway"], mode: "pool", nodeTtlMs: 90 * MIN, retryCapacity: "on-demand" };

function node(over: Partial<NodeRecord>): NodeRecord {
  return { id: "n-dead", jobId: 1977, projectId: 380, state: "terminated", launchedAt: new Date(T0 - 20 * MIN).toISOString(), expiresAt: new Date(T0 + 70 * MIN).toISOString(), ...over };
}

function setup(jobs = [job({ status: "running" })], nodes: NodeRecord[] = [node({})]) {
  const gl = fakeGitLab(jobs);
  const mem = memoryFleet(() => new Date(T0));
  mem.nodes.push(...nodes);
  const base = { fleet: mem.fleet, gitlab: gl.api, now: () => new Date(T0) };
  const reaperEnv: ReaperEnv = { ...base, finishedGraceMs: 2 * MIN, registerGraceMs: 10 * MIN, runnerGraceMs: 15 * MIN, settings };
  const reconcilerEnv: ReconcilerEnv = { ...base, settings, projects: [380], pendingAfterMs: 2 * MIN };
  return { gl, mem, reaperEnv, reconcilerEnv };
}

const actions = (calls: string[]) => calls.filter((c) => /^(cancelJob|retryJob)/.test(c));

test("recovery: the reaper retries a running job whose node is gone, once, and repeated runs change nothing", async () => {
  const { gl, mem, reaperEnv } = setup();
  const first = await reaper.scheduled(tick, reaperEnv);
  assert.deepEqual(first.recovered.map((r) => [r.kind, r.jobId, r.kind === "retried" ? r.retriedJobId : 0]), [["retried", 1977, 1978]]);
  assert.deepEqual(mem.specs.map((s) => [s.jobId, s.retryOf, s.capacity]), [[1978, 1977, "on-demand"]]);
  for (let i = 0; i < 3; i++) assert.deepEqual((await reaper.scheduled(tick, reaperEnv)).recovered, []);
  assert.deepEqual(actions(gl.calls), ["cancelJob 1977", "retryJob 1977"]);
  assert.equal(mem.specs.length, 1);
});

test("recovery: a job on a live node is never touched, whatever its status", async () => {
  for (const status of ["running", "pending", "success"]) {
    const { gl, reaperEnv, reconcilerEnv } = setup([job({ status })], [node({ state: "running" })]);
    await reaper.scheduled(tick, reaperEnv);
    await reconciler.scheduled(tick, reconcilerEnv);
    assert.deepEqual(actions(gl.calls), [], status);
  }
});

test("recovery: finished jobs, nodes ended by their lifetime and jobs with a newer live node are left alone", async () => {
  const finished = setup([job({ status: "success" })]);
  const lifetime = setup(undefined, [node({ expiresAt: new Date(T0 - MIN).toISOString() })]);
  const replaced = setup(undefined, [node({}), node({ id: "n-live", state: "running" })]);
  for (const s of [finished, lifetime, replaced]) {
    assert.deepEqual((await reaper.scheduled(tick, s.reaperEnv)).recovered, []);
    assert.deepEqual(actions(s.gl.calls), []);
  }
});

test("recovery: a retry refused after the cancel is resumed by the next run, not repeated", async () => {
  const { gl, reaperEnv } = setup();
  const retryJob = gl.api.retryJob;
  gl.api.retryJob = async () => Promise.reject(Object.assign(new Error("GitLab 502"), { name: "GitLabError" }));
  const first = await reaper.scheduled(tick, reaperEnv);
  assert.equal(first.errors.length, 1);
  assert.equal(gl.jobs.get(1977)?.status, "canceled");
  gl.api.retryJob = retryJob;
  const second = await reaper.scheduled(tick, reaperEnv);
  assert.deepEqual(second.recovered.map((r) => r.kind), ["retried"]);
  assert.deepEqual((await reaper.scheduled(tick, reaperEnv)).recovered, []);
  assert.deepEqual(actions(gl.calls), ["cancelJob 1977", "retryJob 1977"]);
});

test("recovery: a job a user canceled is not retried (no interruption was noted)", async () => {
  const { gl, reaperEnv } = setup([job({ status: "canceled" })]);
  assert.deepEqual((await reaper.scheduled(tick, reaperEnv)).recovered, []);
  assert.deepEqual(actions(gl.calls), []);
});

test("recovery: the reconciler finds running jobs whose node is gone, and the reaper then finds them handled", async () => {
  const { gl, mem, reaperEnv, reconcilerEnv } = setup([job({ status: "running" }), job({ id: 2000, status: "running" })]);
  const r = await reconciler.scheduled(tick, reconcilerEnv);
  assert.deepEqual(r.recovered.map((x) => [x.kind, x.jobId]), [["retried", 1977]]);
  assert.deepEqual((await reconciler.scheduled(tick, reconcilerEnv)).recovered, []);
  assert.deepEqual((await reaper.scheduled(tick, reaperEnv)).recovered, []);
  assert.deepEqual(actions(gl.calls), ["cancelJob 1977", "retryJob 1977"]);
  assert.equal(gl.jobs.get(2000)?.status, "running");
  const retried = r.recovered[0]?.kind === "retried" ? r.recovered[0].retriedJobId : 0;
  assert.deepEqual(mem.specs.map((s) => [s.jobId, s.retryOf]), [[retried, 1977]]);
});

test("recovery: the Job Hook of a retry that beats recovery's own launch still gets an on-demand node", async () => {
  const { gl, mem } = setup([job({ status: "canceled" }), job({ id: 1978, status: "pending" })], [node({ interruption: { at: new Date(T0).toISOString(), cause: "node-gone", outcome: "retried", retriedJobId: 1978 } })]);
  const env = { fleet: mem.fleet, gitlab: gl.api, now: () => new Date(T0), settings: { ...settings, retryCapacity: "spot" as const } };
  await launcher.queue({ messages: [{ id: "m1", body: JSON.stringify({ jobId: 1978, projectId: 380 }) }] }, env);
  assert.deepEqual(mem.specs.map((s) => [s.jobId, s.retryOf, s.capacity]), [[1978, 1977, "spot"]]);
});

test("recovery: a platform that refuses the note (EC2 may not tag a gone instance) still gets one retry, and no more", async () => {
  const { gl, mem, reaperEnv } = setup();
  const logs: string[] = [];
  mem.fleet.noteInterruption = async () => Promise.reject(Object.assign(new Error("IncorrectState"), { name: "IncorrectState" }));
  const env = { ...reaperEnv, log: (e: string) => void logs.push(e) };
  const first = await reaper.scheduled(tick, env);
  assert.deepEqual(first.recovered.map((r) => r.kind), ["retried"]);
  assert.deepEqual(first.errors, []);
  assert.ok(logs.includes("recovery.note-failed"));
  for (let i = 0; i < 2; i++) assert.deepEqual((await reaper.scheduled(tick, env)).recovered, []);
  assert.deepEqual(actions(gl.calls), ["cancelJob 1977", "retryJob 1977"]);
  assert.equal(mem.specs.length, 1);
});
