import { StartInstancesCommand } from "@aws-sdk/client-ec2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEc2Fleet, type Ec2FleetOptions } from "../../../src/fleet/ec2/provider.ts";
import { reap } from "../../../src/fleet/reaper.ts";
import { parseFunctionsConfig } from "../../../src/functions-config/config.ts";
import { fakeGitLab } from "../functions/support/fakes.ts";
import { fakeAws } from "./support/fake-ec2.ts";

const EXPIRES = new Date(Date.now() + 60 * 60_000);
let aws: ReturnType<typeof fakeAws>;

const fleet = (over: Partial<Ec2FleetOptions> = {}) =>
  createEc2Fleet({ region: "eu-west-1", launchTemplate: "lt-0abc", subnets: ["subnet-a"], instanceTypes: ["m7i.large"], ssmPath: "/slipway/runners", sleep: async () => undefined, warmPoolSize: 2, ...over });
const tags = (i: { Tags: Array<{ Key?: string; Value?: string }> }) => Object.fromEntries(i.Tags.map((t) => [t.Key, t.Value]));
/** What the bootstrap does on a pool instance's first boot: stop itself. */
const prepared = () => aws.instances.forEach((i) => tags(i)["slipway:pool"] === "warm" && (i.State = { Name: "stopped" }));

beforeEach(() => (aws = fakeAws()));
afterEach(() => aws.restore());

describe("ec2 warm pool", () => {
  it("the reaper's maintain launches on-demand pool instances without a job, invisible to the fleet's list", async () => {
    const f = await fleet();
    const report = await f.pool!.maintain();
    expect(report.launched).toHaveLength(2);
    expect(aws.runInputs.map((i) => i.InstanceMarketOptions)).toEqual([undefined, undefined]);
    expect(aws.instances.map((i) => tags(i))).toEqual([{ app: "slipway", "slipway:pool": "warm" }, { app: "slipway", "slipway:pool": "warm" }]);
    expect(await f.list()).toEqual([]);
    expect((await f.pool!.maintain()).launched).toEqual([]);
  });

  it("a launch starts a stopped pool instance with StartInstances and tags it as the job's", async () => {
    const f = await fleet();
    await f.pool!.maintain();
    prepared();
    const runs = aws.runInputs.length;
    const node = await f.launch({ jobId: 1977, projectId: 380, expiresAt: EXPIRES, runner: { id: 1, token: "glrt-x" } });
    expect(aws.runInputs.length).toBe(runs);
    expect(aws.ec2.commandCalls(StartInstancesCommand).length).toBe(1);
    const inst = aws.instances.find((i) => i.InstanceId === node.id)!;
    expect(tags(inst)).toMatchObject({ "slipway:job-id": "1977", "slipway:project": "380", "slipway:pool": "claimed" });
    expect((await f.list()).map((n) => [n.id, n.jobId, n.state])).toEqual([[node.id, 1977, "launching"]]);
    expect([...aws.params.keys()]).toEqual([`/slipway/runners/${node.id}/runner-token`]);
    const arnTag = aws.params.get(`/slipway/runners/${node.id}/runner-token`)?.Tags?.find((t) => t.Key === "slipway:instance-arn")?.Value;
    expect(arnTag).toBe(`arn:aws:ec2:eu-west-1:123456789012:instance/${node.id}`);
    expect((await f.pool!.maintain()).launched).toHaveLength(1);
  });

  it("two launches never take the same pool instance; with the pool empty, RunInstances as before", async () => {
    const f = await fleet({ warmPoolSize: 1 });
    await f.pool!.maintain();
    prepared();
    const [a, b] = await Promise.all([1, 2].map((jobId) => f.launch({ jobId, projectId: 380, expiresAt: EXPIRES })));
    expect(a.id).not.toBe(b.id);
    const pooled = aws.instances.filter((i) => tags(i)["slipway:pool"] === "claimed");
    expect(pooled).toHaveLength(1);
    expect(aws.runInputs.filter((i) => i.ClientToken?.startsWith("slipway-") && !i.ClientToken.startsWith("slipway-pool"))).toHaveLength(1);
  });

  it("retires stopped pool instances over the size and those older than a week", async () => {
    const f = await fleet({ warmPoolSize: 2 });
    await f.pool!.maintain();
    prepared();
    aws.instances[0].LaunchTime = new Date(Date.now() - 8 * 86_400_000);
    const r = await f.pool!.maintain();
    expect(r.terminated).toEqual([aws.instances[0].InstanceId]);
    expect(r.launched).toHaveLength(1);
    const smaller = await (await fleet({ warmPoolSize: 1 })).pool!.maintain();
    expect(smaller.terminated).toHaveLength(1);
    expect(smaller.launched).toEqual([]);
  });

  it("no pool without SLIPWAY_WARM_POOL_SIZE; the setting is a whole number", async () => {
    expect((await fleet({ warmPoolSize: 0 })).pool).toBeUndefined();
    expect(parseFunctionsConfig({ SLIPWAY_WARM_POOL_SIZE: "5" }).ec2.warmPoolSize).toBe(5);
    expect(parseFunctionsConfig({}).ec2.warmPoolSize).toBe(0);
    expect(() => parseFunctionsConfig({ SLIPWAY_WARM_POOL_SIZE: "-1" })).toThrow(/SLIPWAY_WARM_POOL_SIZE/);
  });

  it("every reaper run keeps the pool at its size and reports it", async () => {
    const f = await fleet();
    const gl = fakeGitLab([]);
    const deps = { fleet: f, gitlab: gl.api, now: () => new Date(), finishedGraceMs: 1, registerGraceMs: 1, runnerGraceMs: 1, pool: f.pool };
    expect((await reap(deps)).pool).toMatchObject({ size: 2, terminated: [] });
    expect((await reap(deps)).pool?.launched).toEqual([]);
    expect(aws.instances).toHaveLength(2);
  });
});
