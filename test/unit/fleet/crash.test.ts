import { afterEach, beforeEach, expect, it } from "vitest";
import launcher from "../../../functions/launcher/index.ts";
import reaper from "../../../functions/reaper/index.ts";
import { withCap } from "../../../src/fleet/cap.ts";
import { createEc2Fleet } from "../../../src/fleet/ec2/provider.ts";
import { fakeGitLab, job } from "../functions/support/fakes.ts";
import { fakeAws } from "./support/fake-ec2.ts";

const T0 = Date.parse("2026-11-27T02:00:00.000Z");
const MIN = 60_000;
let aws: ReturnType<typeof fakeAws>;
beforeEach(() => {
  aws = fakeAws();
  aws.state.now = new Date(T0);
});
afterEach(() => aws.restore());

async function setup() {
  let now = new Date(T0);
  const gl = fakeGitLab([job({ tags: ["slipway", "slipway-2366"] })]);
  const ec2 = await createEc2Fleet({ region: "eu-west-1", launchTemplate: "lt-1", subnets: [], instanceTypes: [], ssmPath: "/slipway/runners", sleep: async () => undefined, now: () => now });
  const fleet = withCap(ec2, 5);
  const settings = { tags: ["slipway"], mode: "per-job" as const, nodeTtlMs: 90 * MIN };
  const launchEnv = { gitlab: gl.api, fleet, settings, now: () => now };
  const reapEnv = { gitlab: gl.api, fleet, secrets: ec2.tokens, now: () => now, finishedGraceMs: 2 * MIN, registerGraceMs: 10 * MIN, runnerGraceMs: 15 * MIN };
  const message = { messages: [{ id: "m1", body: JSON.stringify({ jobId: 1977, projectId: 380 }) }] };
  return { gl, launchEnv, reapEnv, message, at: (ms: number) => (now = new Date(T0 + ms)) };
}

it("a launcher that fails after RunInstances and is retried (even with a stale DescribeInstances) makes no second node", async () => {
  const { gl, launchEnv, message } = await setup();
  aws.failPut.push(...Array(6).fill("InternalServerError")); // past every retry of the call
  expect((await launcher.queue(message, launchEnv)).retry).toEqual(["m1"]);
  expect(aws.instances).toHaveLength(1);
  aws.state.describeLag = true; // the retry cannot see the first instance yet
  expect((await launcher.queue(message, launchEnv)).retry).toEqual([]);
  expect(aws.instances).toHaveLength(1);
  expect(new Set(aws.runInputs.map((i) => i.ClientToken)).size).toBe(1);
  // the node got the token of the runner that still exists; the first runner was deleted
  const [param] = aws.params.values();
  expect(param.Value).toBe(`glrt-token-${[...gl.runners.keys()][0]}`);
  expect(gl.runners.size).toBe(1);
});

it("a node whose launcher died before any bookkeeping is reaped: marked, then terminated, secrets and runner removed", async () => {
  const { gl, launchEnv, reapEnv, message, at } = await setup();
  await launcher.queue(message, launchEnv);
  expect(aws.params.size).toBe(1);
  at(11 * MIN);
  expect((await reaper.scheduled({ scheduledTime: 0 }, reapEnv)).marked).toHaveLength(1);
  at(16 * MIN);
  const r = await reaper.scheduled({ scheduledTime: 0 }, reapEnv);
  expect(r.terminated.map((t) => t.reason)).toEqual(["never-registered"]);
  expect(aws.instances[0].State.Name).toBe("shutting-down");
  expect(aws.params.size).toBe(0);
  expect(r.runnersDeleted).toHaveLength(1);
  expect(gl.runners.size).toBe(0);
});
