import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { withCap } from "../../../src/fleet/cap.ts";
import { createEc2Fleet, type Ec2FleetOptions } from "../../../src/fleet/ec2/provider.ts";
import { FleetError } from "../../../src/errors.ts";
import { CapacityError } from "../../../src/fleet/types.ts";
import { fakeAws } from "./support/fake-ec2.ts";

const EXPIRES = new Date("2026-11-27T03:30:00.000Z");
let aws: ReturnType<typeof fakeAws>;
let sleeps: number[];

function fleet(over: Partial<Ec2FleetOptions> = {}) {
  return createEc2Fleet({
    region: "eu-west-1", launchTemplate: "lt-0abc", subnets: ["subnet-a", "subnet-b"], instanceTypes: ["m7i.large"],
    ssmPath: "/slipway/runners", sleep: async (ms) => void sleeps.push(ms), ...over,
  });
}

beforeEach(() => {
  aws = fakeAws();
  sleeps = [];
});
afterEach(() => aws.restore());

describe("ec2 fleet", () => {
  it("launches spot with the launch template, a job-derived ClientToken and tags on create", async () => {
    const f = await fleet();
    const node = await f.launch({ jobId: 1977, projectId: 380, expiresAt: EXPIRES });
    expect(node).toMatchObject({ jobId: 1977, projectId: 380, state: "launching", expiresAt: EXPIRES.toISOString() });
    const [input] = aws.runInputs;
    expect(input.LaunchTemplate).toEqual({ LaunchTemplateId: "lt-0abc", Version: "$Latest" });
    expect(input.ClientToken).toBe("slipway-1977-g0-spot-0");
    expect(input.InstanceMarketOptions?.MarketType).toBe("spot");
    expect(input).toMatchObject({ MinCount: 1, MaxCount: 1, InstanceType: "m7i.large", SubnetId: "subnet-a" });
    const tags = Object.fromEntries((input.TagSpecifications?.[0].Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toEqual({ app: "slipway", "slipway:job-id": "1977", "slipway:project": "380", "slipway:expires-at": EXPIRES.toISOString() });
    expect(input.TagSpecifications?.map((t) => t.ResourceType)).toEqual(["instance", "volume"]);
  });

  it("caps the spot price when asked, never the on-demand request", async () => {
    aws.failRun.push("InsufficientInstanceCapacity", "InsufficientInstanceCapacity");
    const f = await fleet({ spotMaxPrice: "0.05" });
    await f.launch({ jobId: 8, projectId: 1, expiresAt: EXPIRES });
    expect(aws.runInputs.map((i) => i.InstanceMarketOptions?.SpotOptions?.MaxPrice ?? "none")).toEqual(["0.05", "0.05", "none"]);
  });

  it("moves to the next subnet, then to on-demand, on capacity errors", async () => {
    aws.failRun.push("InsufficientInstanceCapacity", "SpotMaxPriceTooLow");
    const f = await fleet();
    await f.launch({ jobId: 7, projectId: 1, expiresAt: EXPIRES });
    expect(aws.runInputs.map((i) => [i.ClientToken, i.SubnetId, i.InstanceMarketOptions?.MarketType ?? "on-demand"])).toEqual([
      ["slipway-7-g0-spot-0", "subnet-a", "spot"],
      ["slipway-7-g0-spot-1", "subnet-b", "spot"],
      ["slipway-7-g0-on-demand-0", "subnet-a", "on-demand"],
    ]);
    expect(aws.instances).toHaveLength(1);
  });

  it("reports CapacityError when neither spot nor on-demand has capacity", async () => {
    aws.failRun.push(...Array(4).fill("MaxSpotInstanceCountExceeded"));
    const f = await fleet();
    await expect(f.launch({ jobId: 7, projectId: 1, expiresAt: EXPIRES })).rejects.toBeInstanceOf(CapacityError);
    expect(aws.instances).toHaveLength(0);
  });

  it("does not swallow other errors (e.g. a bad launch template), and lets no SDK error out of the port", async () => {
    aws.failRun.push("InvalidLaunchTemplateId.NotFound");
    const f = await fleet();
    const err = await f.launch({ jobId: 7, projectId: 1, expiresAt: EXPIRES }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FleetError);
    expect(err).toMatchObject({ code: "InvalidLaunchTemplateId.NotFound", retryable: false });
    expect(aws.runInputs).toHaveLength(1);
  });

  it("backs off on RequestLimitExceeded and keeps the same ClientToken", async () => {
    aws.failRun.push("RequestLimitExceeded", "RequestLimitExceeded");
    const f = await fleet();
    await f.launch({ jobId: 8, projectId: 1, expiresAt: EXPIRES });
    expect(sleeps).toHaveLength(2);
    expect(new Set(aws.runInputs.map((i) => i.ClientToken))).toEqual(new Set(["slipway-8-g0-spot-0"]));
  });

  it("still throttled after six tries: a retryable FleetError", async () => {
    aws.failRun.push(...Array(6).fill("RequestLimitExceeded"));
    const f = await fleet();
    await expect(f.launch({ jobId: 9, projectId: 1, expiresAt: EXPIRES })).rejects.toMatchObject({ name: "FleetError", code: "RequestLimitExceeded", retryable: true });
    expect(sleeps).toHaveLength(5);
  });

  it("refuses a launch over the cap without calling RunInstances, but answers a relaunch of a live job", async () => {
    const f = withCap(await fleet(), 2);
    await f.launch({ jobId: 1, projectId: 1, expiresAt: EXPIRES });
    await f.launch({ jobId: 2, projectId: 1, expiresAt: EXPIRES });
    await expect(f.launch({ jobId: 3, projectId: 1, expiresAt: EXPIRES })).rejects.toBeInstanceOf(CapacityError);
    expect((await f.launch({ jobId: 2, projectId: 1, expiresAt: EXPIRES })).jobId).toBe(2);
    expect(aws.runInputs).toHaveLength(2);
  });

  it("writes a per-job runner token as a SecureString scoped to the instance", async () => {
    const f = await fleet();
    const node = await f.launch({ jobId: 9, projectId: 1, expiresAt: EXPIRES, runner: { id: 5, token: "glrt-secret" } });
    const p = aws.params.get(`/slipway/runners/${node.id}/runner-token`);
    expect(p).toMatchObject({ Type: "SecureString", Value: "glrt-secret" });
    expect(p?.Tags).toContainEqual({ Key: "slipway:instance-arn", Value: `arn:aws:ec2:eu-west-1:123456789012:instance/${node.id}` });
    expect(JSON.stringify(aws.runInputs)).not.toContain("glrt-secret");
    expect(await f.tokens.list()).toEqual([node.id]);
    await f.terminate(node.id);
    expect(aws.params.size).toBe(0);
  });

  it("lists nodes by tag with their states and terminates idempotently", async () => {
    const f = await fleet();
    const a = await f.launch({ jobId: 1, projectId: 1, expiresAt: EXPIRES });
    aws.instances[0].State = { Name: "running" };
    expect((await f.list()).map((n) => [n.id, n.state])).toEqual([[a.id, "running"]]);
    await f.terminate(a.id);
    await f.terminate("i-doesnotexist");
    expect((await f.list())[0].state).toBe("terminated");
    await f.mark(a.id);
    expect((await f.list())[0].markedAt).toBeDefined();
  });
});

describe("ec2 relaunch of a job", () => {
  it("a job relaunched after its node was reaped gets a new instance (next ClientToken generation)", async () => {
    const f = await fleet();
    const first = await f.launch({ jobId: 5, projectId: 1, expiresAt: EXPIRES });
    await f.terminate(first.id);
    const second = await f.launch({ jobId: 5, projectId: 1, expiresAt: EXPIRES });
    expect(second.id).not.toBe(first.id);
    expect(aws.runInputs.map((i) => i.ClientToken)).toEqual(["slipway-5-g0-spot-0", "slipway-5-g1-spot-0"]);
  });

  it("a replayed ClientToken that returns a long-gone instance is detected and a fresh token used", async () => {
    const t0 = new Date("2026-11-27T02:00:00.000Z");
    aws.state.now = t0;
    let now = t0;
    const f = await fleet({ now: () => now });
    const first = await f.launch({ jobId: 6, projectId: 1, expiresAt: EXPIRES });
    await f.terminate(first.id);
    aws.state.hidden.add(first.id); // an hour later EC2 no longer lists it
    now = new Date(t0.getTime() + 2 * 3_600_000);
    aws.state.now = now;
    const second = await f.launch({ jobId: 6, projectId: 1, expiresAt: EXPIRES });
    expect(second.id).not.toBe(first.id);
    expect(aws.runInputs.map((i) => i.ClientToken)).toEqual(["slipway-6-g0-spot-0", "slipway-6-g0-spot-0", `slipway-6-g0t${Math.floor(now.getTime() / 1000)}-spot-0`]);
  });
});

describe("ec2 runner tokens", () => {
  it("lists only per-instance parameters, never a pool token under the same path", async () => {
    const f = await fleet();
    aws.params.set("/slipway/runners/pool/runner-token", { Name: "/slipway/runners/pool/runner-token", Value: "x" });
    const node = await f.launch({ jobId: 3, projectId: 1, expiresAt: EXPIRES, runner: { id: 1, token: "t" } });
    expect(await f.tokens.list()).toEqual([node.id]);
  });

  it("overwrites the parameter of a retried launch (tags cannot go with Overwrite)", async () => {
    const f = await fleet();
    await f.tokens.put({ instanceId: "i-0abc", instanceArn: "arn", jobId: 1 }, "first");
    await f.tokens.put({ instanceId: "i-0abc", instanceArn: "arn", jobId: 1 }, "second");
    expect(aws.params.get("/slipway/runners/i-0abc/runner-token")).toMatchObject({ Value: "second", Overwrite: true });
  });
});
