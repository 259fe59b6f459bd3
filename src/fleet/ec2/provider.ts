import type { EC2Client } from "@aws-sdk/client-ec2";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { CapacityError, isLive, type Fleet, type LaunchSpec, type NodeRecord } from "../types.ts";
import { awsCall, errorCode, isCapacityError } from "./errors.ts";
import { marketOrder, placements, runInstancesInput } from "./request.ts";
import { APP, TAG, interruptionTags, toNodeRecord, type InstanceView } from "./tags.ts";
import { createSsmTokenStore, type RunnerTokenStore } from "./tokens.ts";
import { createWarmPool, type WarmPool } from "./warm-pool.ts";

export interface Ec2FleetOptions {
  region: string;
  /** Launch template id (lt-...) or name. */
  launchTemplate: string;
  subnets: string[];
  /** Instance types in order of preference; empty means the launch template's type. */
  instanceTypes: string[];
  /** SSM path under which per-job runner tokens are written. */
  ssmPath: string;
  /** Try spot first (default true). */
  spot?: boolean;
  /** Spot price cap (USD per hour); unset = the on-demand price. */
  spotMaxPrice?: string;
  /** Stopped on-demand instances kept ready (SLIPWAY_WARM_POOL_SIZE); 0 or absent = no pool. */
  warmPoolSize?: number;
  ec2?: EC2Client;
  ssm?: SSMClient;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

export interface Ec2Fleet extends Fleet {
  readonly tokens: RunnerTokenStore;
  /** Present when a warm pool is configured; the reaper keeps it at its size. */
  readonly pool?: WarmPool;
}

/** The EC2 provider: one instance per job, spot first with on-demand fallback, all by tag. */
export async function createEc2Fleet(o: Ec2FleetOptions): Promise<Ec2Fleet> {
  const ec2 = await import("@aws-sdk/client-ec2");
  const now = o.now ?? (() => new Date());
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const client = o.ec2 ?? new ec2.EC2Client({ region: o.region });
  const ssmClient = o.ssm ?? new (await import("@aws-sdk/client-ssm")).SSMClient({ region: o.region });
  const tokens = await createSsmTokenStore({ client: ssmClient, path: o.ssmPath, sleep });
  // The SDK's per-command overloads do not survive a generic wrapper; outputs are typed at each call.
  const send = <T>(what: string, cmd: object) => awsCall(what, () => client.send(cmd as never) as Promise<T>, sleep);
  const pool = o.warmPoolSize
    ? createWarmPool({ send: (cmd) => send(cmd.constructor.name.replace(/Command$/, ""), cmd), sdk: ec2, size: o.warmPoolSize, launchTemplate: o.launchTemplate, subnets: o.subnets, instanceTypes: o.instanceTypes, now })
    : undefined;

  async function describe(filters: Array<{ Name: string; Values: string[] }>): Promise<NodeRecord[]> {
    const out: NodeRecord[] = [];
    let NextToken: string | undefined;
    do {
      const page = await send<{ Reservations?: Array<{ Instances?: InstanceView[] }>; NextToken?: string }>(
        "DescribeInstances", new ec2.DescribeInstancesCommand({ Filters: [{ Name: `tag:${TAG.app}`, Values: [APP] }, ...filters], NextToken }),
      );
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) {
        const rec = toNodeRecord(i);
        if (rec) out.push(rec);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  /** The preferred market over every type/subnet, then the other; a capacity error moves to the next option. */
  async function runInstance(spec: LaunchSpec, generation: string): Promise<{ instance: InstanceView; ownerId: string }> {
    const markets = marketOrder(o.spot !== false, spec.capacity);
    let last: unknown;
    for (const market of markets) {
      for (const [attempt, opt] of placements(o.instanceTypes, o.subnets).entries()) {
        try {
          const out = await send<{ Instances?: InstanceView[]; OwnerId?: string }>("RunInstances", new ec2.RunInstancesCommand(runInstancesInput(o.launchTemplate, spec, opt, market, attempt, generation, o.spotMaxPrice)));
          const instance = out.Instances?.[0];
          if (instance?.InstanceId) return { instance, ownerId: out.OwnerId ?? "" };
        } catch (err) {
          if (!isCapacityError(err)) throw err;
          last = err;
        }
      }
    }
    throw new CapacityError(`no EC2 capacity for job ${spec.jobId}: ${errorCode(last)}`, { cause: last });
  }

  /**
   * EC2 remembers a ClientToken for a day, but terminated instances leave DescribeInstances
   * after about an hour, so the generation count can repeat an old token and get a dead
   * instance back. A "new" instance launched long ago that is not live is such a replay.
   */
  async function staleReplay(i: InstanceView): Promise<boolean> {
    if (!i.LaunchTime || now().getTime() - i.LaunchTime.getTime() < 10 * 60_000) return false;
    const seen = await describe([{ Name: "instance-id", Values: [i.InstanceId ?? ""] }]);
    return !seen.some(isLive);
  }

  /** A warm-pool instance started for the job; the account id for its ARN comes from the instance's owner. */
  async function fromPool(spec: LaunchSpec): Promise<{ instance: InstanceView; ownerId: string } | undefined> {
    const instance = await pool?.take(spec);
    return instance ? { instance, ownerId: instance.OwnerId ?? "" } : undefined;
  }

  async function freshInstance(spec: LaunchSpec, earlier: number): Promise<{ instance: InstanceView; ownerId: string }> {
    const run = await runInstance(spec, String(earlier));
    return (await staleReplay(run.instance)) ? runInstance(spec, `${earlier}t${Math.floor(now().getTime() / 1000)}`) : run;
  }

  return {
    tokens,
    ...(pool && { pool }),
    async launch(spec) {
      const mine = await describe([{ Name: `tag:${TAG.jobId}`, Values: [String(spec.jobId)] }]);
      const existing = mine.find(isLive);
      if (existing) return existing;
      const run = await fromPool(spec) ?? (await freshInstance(spec, mine.length));
      const { instance, ownerId } = run;
      const instanceId = instance.InstanceId as string;
      if (spec.runner) {
        const instanceArn = `arn:aws:ec2:${o.region}:${ownerId}:instance/${instanceId}`;
        await tokens.put({ instanceId, instanceArn, jobId: spec.jobId }, spec.runner.token);
      }
      const launchedAt = (instance.LaunchTime ?? new Date()).toISOString();
      return {
        id: instanceId, jobId: spec.jobId, projectId: spec.projectId, state: "launching", launchedAt, expiresAt: spec.expiresAt.toISOString(),
        capacity: instance.InstanceLifecycle === "spot" ? "spot" : "on-demand",
        ...(spec.retryOf !== undefined && { retryOf: spec.retryOf }),
      };
    },
    list: () => describe([]),
    async terminate(id) {
      try {
        await send("TerminateInstances", new ec2.TerminateInstancesCommand({ InstanceIds: [id] }));
      } catch (err) {
        if (errorCode(err) !== "InvalidInstanceID.NotFound") throw err;
      }
      await tokens.remove(id);
    },
    async mark(id) {
      await send("CreateTags", new ec2.CreateTagsCommand({ Resources: [id], Tags: [{ Key: TAG.markedAt, Value: now().toISOString() }] }));
    },
    async noteInterruption(id, note) {
      await send("CreateTags", new ec2.CreateTagsCommand({ Resources: [id], Tags: interruptionTags(note) }));
    },
  };
}
