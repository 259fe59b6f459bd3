import type { RunInstancesCommandInput, _InstanceType } from "@aws-sdk/client-ec2";
import type { LaunchSpec } from "../types.ts";
import { APP, TAG, clientToken } from "./tags.ts";

/** Pure builders of RunInstances requests, kept apart so their shape is easy to read and test. */

/**
 * Markets in the order to try. A launch that asks for a market (the retry of an
 * interrupted job prefers on-demand) tries it first; with spot off, on-demand only.
 */
export function marketOrder(spotAllowed: boolean, preferred?: "spot" | "on-demand"): Array<"spot" | "on-demand"> {
  if (!spotAllowed) return ["on-demand"];
  return preferred === "on-demand" ? ["on-demand", "spot"] : ["spot", "on-demand"];
}

export type Placement = { InstanceType?: _InstanceType; SubnetId?: string };

/** Every instance type × subnet in order of preference; empty lists mean "the launch template's". */
export function placements(instanceTypes: string[], subnets: string[]): Placement[] {
  const types: Array<string | undefined> = instanceTypes.length ? instanceTypes : [undefined];
  const nets: Array<string | undefined> = subnets.length ? subnets : [undefined];
  return types.flatMap((t) => nets.map((s) => ({ ...(t ? { InstanceType: t as _InstanceType } : {}), ...(s ? { SubnetId: s } : {}) })));
}

function launchTemplateRef(lt: string) {
  return lt.startsWith("lt-") ? { LaunchTemplateId: lt, Version: "$Latest" } : { LaunchTemplateName: lt, Version: "$Latest" };
}

/** One attempt: tags on create (so a crash after this call still leaves a findable node). */
export function runInstancesInput(
  launchTemplate: string,
  spec: LaunchSpec,
  placement: Placement,
  market: "spot" | "on-demand",
  attempt: number,
  generation = "0",
  spotMaxPrice?: string,
): RunInstancesCommandInput {
  const tags: Array<{ Key: string; Value: string }> = [
    { Key: TAG.app, Value: APP },
    { Key: TAG.jobId, Value: String(spec.jobId) },
    { Key: TAG.project, Value: String(spec.projectId) },
    { Key: TAG.expiresAt, Value: spec.expiresAt.toISOString() },
    ...(spec.retryOf !== undefined ? [{ Key: TAG.retryOf, Value: String(spec.retryOf) }] : []),
  ];
  return {
    MinCount: 1,
    MaxCount: 1,
    ClientToken: clientToken(spec.jobId, generation, market, attempt),
    LaunchTemplate: launchTemplateRef(launchTemplate),
    ...placement,
    ...(market === "spot"
      ? { InstanceMarketOptions: { MarketType: "spot", SpotOptions: { SpotInstanceType: "one-time", InstanceInterruptionBehavior: "terminate", ...(spotMaxPrice && { MaxPrice: spotMaxPrice }) } } }
      : {}),
    TagSpecifications: [
      { ResourceType: "instance", Tags: tags },
      { ResourceType: "volume", Tags: tags },
    ],
  };
}

/**
 * A warm-pool instance: on-demand (spot instances cannot be stopped), tagged as the pool's
 * and no job's, so the fleet's list, the cap and the reaper's job checks never see it.
 * The token names the maintain run and the slot.
 */
export function poolInstancesInput(launchTemplate: string, placement: Placement | undefined, slot: string): RunInstancesCommandInput {
  const tags = [{ Key: TAG.app, Value: APP }, { Key: TAG.pool, Value: "warm" }];
  return {
    MinCount: 1,
    MaxCount: 1,
    ClientToken: `slipway-pool-${slot}`,
    LaunchTemplate: launchTemplateRef(launchTemplate),
    ...placement,
    TagSpecifications: [
      { ResourceType: "instance", Tags: tags },
      { ResourceType: "volume", Tags: tags },
    ],
  };
}
