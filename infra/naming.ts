import type { Scope } from "./policies/document.ts";

/**
 * Physical names derived from the stack, so ARNs in policies can be written before the
 * resources exist and two stacks in one account never collide.
 */
export interface Naming {
  /** e.g. slipway-prod: prefix of every named resource. */
  prefix: string;
  /** e.g. /slipway/prod: root of every SSM parameter. */
  ssmRoot: string;
  /** e.g. /slipway/prod/nodes: one SecureString per node, named by instance id. */
  nodeParameterPath: string;
  /** Pool mode's shared runner token, under the nodes path where src/fleet expects it. */
  poolTokenName: string;
}

/**
 * The app tag every node carries from creation (src/fleet/ec2/tags.ts sets app=slipway);
 * termination rights of the reaper and of the nodes themselves are scoped to it.
 */
export const APP_TAG = { key: "app", value: "slipway" } as const;

export function naming(stack: string): Naming {
  const safe = stack.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || "default";
  return { prefix: `slipway-${safe}`, ssmRoot: `/slipway/${safe}`, nodeParameterPath: `/slipway/${safe}/nodes`, poolTokenName: `/slipway/${safe}/nodes/pool/runner-token` };
}

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** An account id from the registry id ECR reports, else config, else "*" (any account). */
export function scopeOf(region: string, registryId: string | undefined, configured: string | undefined): Scope {
  const account = [registryId, configured].find((a) => a !== undefined && /^\d{12}$/.test(a)) ?? "*";
  return { partition: partitionOf(region), region, account };
}

/**
 * A resource's ARN as the provider reports it, or, where none is reported (mocked runs),
 * the ARN its known physical name implies.
 */
export function arnOr(reported: string | undefined, scope: Scope, service: string, resource: string, opts: { region?: boolean } = {}): string {
  if (reported && reported.startsWith("arn:")) return reported;
  const region = opts.region === false ? "" : scope.region;
  return `arn:${scope.partition}:${service}:${region}:${scope.account}:${resource}`;
}
