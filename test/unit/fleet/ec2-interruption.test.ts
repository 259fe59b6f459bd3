import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEc2Fleet, type Ec2FleetOptions } from "../../../src/fleet/ec2/provider.ts";
import { reap } from "../../../src/fleet/reaper.ts";
import { fakeGitLab, job } from "../functions/support/fakes.ts";
import { fakeAws } from "./support/fake-ec2.ts";

const EXPIRES = new Date(Date.now() + 60 * 60_000);
let aws: ReturnType<typeof fakeAws>;

const fleet = (over: Partial<Ec2FleetOptions> = {}) =>
  createEc2Fleet({ region: "eu-west-1", launchTemplate: "lt-0abc", subnets: ["subnet-a"], instanceTypes: ["m7i.large"], ssmPath: "/slipway/runners", sleep: async () => undefined, ...over });
const tagsOf = (id: string) => Object.fromEntries((aws.instances.find((i) => i.InstanceId === id)?.Tags ?? []).map((t) => [t.Key, t.Value]));

beforeEach(() => (aws = fakeAws()));
afterEach(() => aws.restore());

describe("ec2 fleet: interrupted jobs", () => {
  it("a retry's node asks for on-demand first and carries the job it retries", async () => {
    const f = await fleet();
    const node = await f.launch({ jobId: 1978, projectId: 380, expiresAt: EXPIRES, retryOf: 1977, capacity: "on-demand" });
    const [input] = aws.runInputs;
    expect(input.InstanceMarketOptions).toBeUndefined();
    expect(input.ClientToken).toBe("slipway-1978-g0-on-demand-0");
    expect(tagsOf(node.id)["slipway:retry-of"]).toBe("1977");
    expect((await f.list()).find((n) => n.id === node.id)).toMatchObject({ retryOf: 1977, capacity: "on-demand" });
  });

  it("falls back to spot when on-demand has no capacity, and never asks for spot when spot is off", async () => {
    aws.failRun.push("InsufficientInstanceCapacity");
    const fallback = await (await fleet()).launch({ jobId: 1, projectId: 380, expiresAt: EXPIRES, capacity: "on-demand" });
    expect(fallback.capacity).toBe("spot");
    expect(aws.runInputs.map((i) => i.InstanceMarketOptions?.MarketType ?? "on-demand")).toEqual(["on-demand", "spot"]);
    aws.runInputs.length = 0;
    await (await fleet({ spot: false })).launch({ jobId: 2, projectId: 380, expiresAt: EXPIRES, capacity: "spot" });
    expect(aws.runInputs.map((i) => i.InstanceMarketOptions?.MarketType ?? "on-demand")).toEqual(["on-demand"]);
  });

  it("the interruption note is tags: merged, one value per key, read back by list", async () => {
    const f = await fleet();
    const node = await f.launch({ jobId: 1977, projectId: 380, expiresAt: EXPIRES });
    await f.noteInterruption(node.id, { at: "2026-12-01T21:30:00.000Z", cause: "spot-interruption-warning" });
    await f.noteInterruption(node.id, { at: "2026-12-01T21:30:00.000Z", cause: "spot-interruption-warning", outcome: "retried", retriedJobId: 1978 });
    expect(aws.instances[0].Tags.filter((t) => t.Key === "slipway:interrupted-at")).toHaveLength(1);
    expect((await f.list())[0].interruption).toEqual({ at: "2026-12-01T21:30:00.000Z", cause: "spot-interruption-warning", outcome: "retried", retriedJobId: 1978 });
  });

  it("the reaper retries the job of a terminated instance once, through the real provider and its tags", async () => {
    const f = await fleet();
    const node = await f.launch({ jobId: 1977, projectId: 380, expiresAt: EXPIRES });
    aws.instances[0].State = { Name: "terminated" };
    const gl = fakeGitLab([job({ status: "running" })]);
    const deps = {
      fleet: f, gitlab: gl.api, now: () => new Date(), finishedGraceMs: 120_000, registerGraceMs: 600_000, runnerGraceMs: 900_000,
      settings: { tags: ["slipway"], mode: "pool" as const, nodeTtlMs: 90 * 60_000 },
    };
    const first = await reap(deps);
    expect(first.errors).toEqual([]);
    expect(first.recovered.map((r) => [r.kind, r.nodeId])).toEqual([["retried", node.id]]);
    expect(tagsOf(node.id)).toMatchObject({ "slipway:interrupt-cause": "node-gone", "slipway:interrupt-outcome": "retried", "slipway:retried-job-id": "1978" });
    const retryNode = aws.instances.find((i) => i.InstanceId !== node.id);
    expect(Object.fromEntries((retryNode?.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({ "slipway:job-id": "1978", "slipway:retry-of": "1977" });
    expect((await reap(deps)).recovered).toEqual([]);
    expect(gl.calls.filter((c) => /^(cancelJob|retryJob)/.test(c))).toEqual(["cancelJob 1977", "retryJob 1977"]);
  });
});
