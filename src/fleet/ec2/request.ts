import type { RunInstancesCommandInput, _InstanceType } from "@aws-sdk/client-ec2";
import type { LaunchSpec } from "../types.ts";
import { APP, TAG, clientToken } from "./tags.ts";

/** Pure builders of RunInstances requests, kept apart so their shape is easy to read and test. */

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
