import type { LaunchSpec } from "../types.ts";
import { errorCode } from "./errors.ts";
import { placements, poolInstancesInput } from "./request.ts";
import { APP, TAG, type InstanceView } from "./tags.ts";

/**
 * An opt-in warm pool (SLIPWAY_WARM_POOL_SIZE): on-demand instances that booted once,
 * warmed their engine and stopped themselves (runner-image/bootstrap.sh), so a job's node
 * is a StartInstances away instead of a RunInstances. Stopped, they cost their EBS volume
 * only. The instance's own state is the lock: StartInstances answers "stopped" as the
 * previous state to exactly one caller, so two launchers never take the same instance.
 */
export interface WarmPool {
  readonly size: number;
  /** Starts a stopped pool instance for the job and tags it as the job's; undefined when none is left. */
  take(spec: LaunchSpec): Promise<InstanceView | undefined>;
  /** Tops the pool up to its size, retires instances over it or older than the max age. */
  maintain(): Promise<PoolReport>;
}

export interface PoolReport {
  size: number;
  launched: string[];
  terminated: string[];
}

type Send = <T>(cmd: object) => Promise<T>;
type Ec2Sdk = typeof import("@aws-sdk/client-ec2");

export interface WarmPoolOptions {
  send: Send;
  sdk: Ec2Sdk;
  size: number;
  launchTemplate: string;
  subnets: string[];
  instanceTypes: string[];
  now: () => Date;
  /** A stopped pool instance older than this is replaced (it booted an older image). Default 7 days. */
  maxAgeMs?: number;
}

export const POOL_WARM = "warm";

export function createWarmPool(o: WarmPoolOptions): WarmPool {
  const describe = async (states: string[]): Promise<InstanceView[]> => {
    const out: InstanceView[] = [];
    let NextToken: string | undefined;
    do {
      const page = await o.send<{ Reservations?: Array<{ Instances?: InstanceView[]; OwnerId?: string }>; NextToken?: string }>(
        new o.sdk.DescribeInstancesCommand({
          Filters: [{ Name: `tag:${TAG.app}`, Values: [APP] }, { Name: `tag:${TAG.pool}`, Values: [POOL_WARM] }, { Name: "instance-state-name", Values: states }],
          NextToken,
        }),
      );
      for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []).map((i) => ({ ...i, OwnerId: r.OwnerId })));
      NextToken = page.NextToken;
    } while (NextToken);
    return out.sort((a, b) => (a.LaunchTime?.getTime() ?? 0) - (b.LaunchTime?.getTime() ?? 0));
  };

  /** StartInstances; true when this call moved it out of "stopped" (the claim). */
  async function start(id: string): Promise<boolean> {
    try {
      const out = await o.send<{ StartingInstances?: Array<{ PreviousState?: { Name?: string } }> }>(new o.sdk.StartInstancesCommand({ InstanceIds: [id] }));
      return out.StartingInstances?.[0]?.PreviousState?.Name === "stopped";
    } catch (err) {
      if (errorCode(err) === "IncorrectInstanceState" || errorCode(err) === "InvalidInstanceID.NotFound") return false;
      throw err;
    }
  }

  async function take(spec: LaunchSpec): Promise<InstanceView | undefined> {
    for (const candidate of await describe(["stopped"])) {
      const id = candidate.InstanceId;
      if (!id || !(await start(id))) continue;
      const tags = [
        { Key: TAG.jobId, Value: String(spec.jobId) },
        { Key: TAG.project, Value: String(spec.projectId) },
        { Key: TAG.expiresAt, Value: spec.expiresAt.toISOString() },
        { Key: TAG.pool, Value: "claimed" },
        ...(spec.retryOf !== undefined ? [{ Key: TAG.retryOf, Value: String(spec.retryOf) }] : []),
      ];
      await o.send(new o.sdk.CreateTagsCommand({ Resources: [id], Tags: tags }));
      return { ...candidate, LaunchTime: o.now(), State: { Name: "pending" }, Tags: [...(candidate.Tags ?? []), ...tags] };
    }
    return undefined;
  }

  async function maintain(): Promise<PoolReport> {
    const report: PoolReport = { size: o.size, launched: [], terminated: [] };
    const all = await describe(["pending", "running", "stopping", "stopped"]);
    const tooOld = (i: InstanceView) => i.State?.Name === "stopped" && o.now().getTime() - (i.LaunchTime?.getTime() ?? 0) > (o.maxAgeMs ?? 7 * 86_400_000);
    const fresh = all.filter((i) => !tooOld(i));
    // Over the size (it was lowered): retire stopped ones; one still preparing stops on its own first.
    const surplus = fresh.filter((i) => i.State?.Name === "stopped").slice(0, Math.max(0, fresh.length - o.size));
    const ids = [...all.filter(tooOld), ...surplus].map((i) => i.InstanceId).filter((id): id is string => Boolean(id));
    if (ids.length) await o.send(new o.sdk.TerminateInstancesCommand({ InstanceIds: ids }));
    report.terminated.push(...ids);
    const missing = o.size - (fresh.length - surplus.length);
    // One token per run and slot: a throttled call resent by the backoff gets its instance back,
    // and a later run never replays an earlier (maybe retired) instance.
    const run = `${o.now().getTime().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    for (let slot = 0; slot < missing; slot++) {
      const out = await o.send<{ Instances?: InstanceView[] }>(new o.sdk.RunInstancesCommand(poolInstancesInput(o.launchTemplate, placements(o.instanceTypes, o.subnets)[0], `${run}-${slot}`)));
      const id = out.Instances?.[0]?.InstanceId;
      if (id) report.launched.push(id);
    }
    return report;
  }

  return { size: o.size, take, maintain };
}
