import assert from "node:assert/strict";
import interruption, { type InterruptionEnv } from "../../../functions/node-interruption/index.ts";
import { isEc2InstanceEvent, isScheduledEvent, nodeEventHandler, scheduledHandler, toNodeEvent, type Ec2InstanceEvent } from "../../../functions/runtime/aws-lambda.ts";
import type { NodeRecord } from "../../../src/fleet/types.ts";
import { fakeGitLab, job, memoryFleet } from "./support/fakes.ts";
import { fixture, test } from "./support/harness.ts";

const T0 = Date.parse("2026-12-01T21:30:00.000Z");
const MIN = 60_000;
const SPOT = "ec2-spot-interruption-warning.json";
const TERMINATED = "ec2-state-change-terminated.json";
const PENDING = "ec2-state-change-pending.json";

/** One slipway node with the instance id of the fixture, its job in the given GitLab state. */
function setup(nodeId: string, status: string, state: NodeRecord["state"] = "running") {
  const gl = fakeGitLab([job({ status })]);
  const mem = memoryFleet(() => new Date(T0));
  mem.nodes.push({ id: nodeId, jobId: 1977, projectId: 380, state, launchedAt: new Date(T0 - 10 * MIN).toISOString(), expiresAt: new Date(T0 + 80 * MIN).toISOString() });
  const logs: string[] = [];
  const env: InterruptionEnv = {
    gitlab: gl.api, fleet: mem.fleet, now: () => new Date(T0), log: (e) => void logs.push(e),
    settings: { tags: ["slipway"], mode: "pool", nodeTtlMs: 90 * MIN, retryCapacity: "on-demand" },
  };
  return { gl, mem, env, logs, handler: nodeEventHandler(interruption, async () => env) };
}

const actions = (calls: string[]) => calls.filter((c) => /^(cancelJob|retryJob)/.test(c));

test("interruption: AWS's EC2 event examples are told apart from schedules and translated", async () => {
  const [spot, term, pend, sched] = await Promise.all([SPOT, TERMINATED, PENDING, "eventbridge-scheduled.json"].map((n) => fixture(n)));
  assert.deepEqual([spot, term, pend, sched].map(isEc2InstanceEvent), [true, true, true, false]);
  assert.deepEqual([spot, term, pend].map(isScheduledEvent), [false, false, false]);
  assert.deepEqual(toNodeEvent(spot as unknown as Ec2InstanceEvent), { kind: "interruption-warning", nodeId: "i-1234567890abcdef0", time: Date.parse("2026-12-01T21:30:00Z") });
  assert.deepEqual(toNodeEvent(term as unknown as Ec2InstanceEvent), { kind: "state-change", nodeId: "i-abcd1111", state: "terminated", time: Date.parse("2021-11-11T21:29:54Z") });
});

test("interruption: a spot warning for a running job cancels it, retries it once, and launches the retry on-demand", async () => {
  const { gl, mem, handler, logs } = setup("i-1234567890abcdef0", "running");
  const report = await handler(await fixture(SPOT));
  assert.equal(report.status, "recovered");
  assert.deepEqual(actions(gl.calls), ["cancelJob 1977", "retryJob 1977"]);
  assert.equal(gl.jobs.get(1977)?.status, "canceled");
  assert.equal(gl.jobs.get(1978)?.status, "pending");
  assert.deepEqual(mem.specs.map((s) => [s.jobId, s.retryOf, s.capacity]), [[1978, 1977, "on-demand"]]);
  const noted = mem.nodes.find((n) => n.id === "i-1234567890abcdef0")?.interruption;
  assert.deepEqual([noted?.cause, noted?.outcome, noted?.retriedJobId], ["spot-interruption-warning", "retried", 1978]);
  assert.ok(logs.includes("recovery.interrupted") && logs.includes("recovery.retried"));
});

test("interruption: the same event again, and the state change that follows, change nothing more", async () => {
  const { gl, mem, handler } = setup("i-1234567890abcdef0", "running");
  await handler(await fixture(SPOT));
  const again = await handler(await fixture(SPOT));
  const term = await fixture<Ec2InstanceEvent>(TERMINATED);
  term.detail["instance-id"] = "i-1234567890abcdef0";
  const after = await handler(term);
  assert.equal(again.status, "nothing-to-do");
  assert.equal(after.status, "nothing-to-do");
  assert.deepEqual(actions(gl.calls), ["cancelJob 1977", "retryJob 1977"]);
  assert.equal(mem.specs.length, 1);
});

test("interruption: a state change to pending, another instance, or a finished job touch nothing", async () => {
  const pending = setup("i-abcd1111", "running");
  assert.equal((await pending.handler(await fixture(PENDING))).status, "ignored");
  const stranger = setup("i-0000000000000000f", "running");
  assert.equal((await stranger.handler(await fixture(TERMINATED))).status, "ignored");
  const finished = setup("i-abcd1111", "success", "terminated");
  assert.equal((await finished.handler(await fixture(TERMINATED))).status, "nothing-to-do");
  for (const s of [pending, stranger, finished]) assert.deepEqual(actions(s.gl.calls), []);
});

test("interruption: with SLIPWAY_RETRY_INTERRUPTED=false the job is left to GitLab", async () => {
  const s = setup("i-abcd1111", "running", "terminated");
  s.env.enabled = false;
  assert.equal((await s.handler(await fixture(TERMINATED))).status, "ignored");
  assert.deepEqual(actions(s.gl.calls), []);
});

test("interruption: the adapter refuses events of other shapes, and the schedule adapter refuses EC2 events", async () => {
  const { handler } = setup("i-abcd1111", "running");
  await assert.rejects(handler(await fixture("eventbridge-scheduled.json")), /not an EC2/);
  const sched = scheduledHandler({ scheduled: async () => "ran" }, async () => ({}));
  await assert.rejects(sched(await fixture(SPOT)), /not an EventBridge scheduled event/);
});

test("interruption: two events handled at once still make one retry (GitLab refuses a second)", async () => {
  const { gl, mem, env } = setup("i-abcd1111", "running", "terminated");
  const ev = toNodeEvent(await fixture<Ec2InstanceEvent>(TERMINATED));
  const reports = await Promise.all([interruption.nodeEvent(ev, env), interruption.nodeEvent(ev, env)]);
  const kinds = reports.map((r) => (r.status === "recovered" ? r.outcome.kind : r.status)).sort();
  assert.equal(kinds.filter((k) => k === "retried").length, 1, JSON.stringify(reports));
  assert.equal(gl.calls.filter((c) => c === "retryJob 1977").length, 1);
  assert.equal([...gl.jobs.keys()].length, 2);
  assert.equal(mem.specs.length, 1);
});
