import { UsageError } from "../errors.ts";

/** The account (registry id) and region an ECR registry host belongs to. */
export interface EcrTarget {
  registryId: string;
  region: string;
}

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` -> account and region. */
export function parseEcrHost(host: string): EcrTarget | undefined {
  const m = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/i.exec(host);
  return m ? { registryId: m[1], region: m[2].toLowerCase() } : undefined;
}

/** Hosts declared to be ECR registries, for names ECR's own pattern does not cover. */
export type EcrHosts = ReadonlyMap<string, EcrTarget>;

/**
 * `SLIPWAY_ECR_HOSTS`: `host=account/region[,host=account/region...]`, for an ECR registry
 * reached under another name (a VPC endpoint's DNS name, a local stand-in): slipway then
 * speaks ECR to it (token from GetAuthorizationToken, PutImage, BatchGetImage) instead of
 * plain OCI. Parsed once, at the edge.
 */
export function parseEcrHosts(value: string | undefined): EcrHosts {
  const hosts = new Map<string, EcrTarget>();
  for (const item of (value ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)=(\d{12})\/([a-z0-9-]+)$/.exec(item);
    if (!m) throw new UsageError(`SLIPWAY_ECR_HOSTS: "${item}" is not host=<12-digit account>/<region>`);
    hosts.set(m[1], { registryId: m[2], region: m[3] });
  }
  return hosts;
}

/** The ECR registry behind `host`, if it is one: declared hosts first, then ECR's host pattern. */
export function ecrTargetOf(host: string, declared?: EcrHosts): EcrTarget | undefined {
  return declared?.get(host) ?? parseEcrHost(host);
}
