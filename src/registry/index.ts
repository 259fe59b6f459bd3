import { UsageError } from "../errors.ts";
import { createSdkEcrPort } from "./ecr-sdk.ts";
import { EcrRegistry, ecrTargetOf, ecrTokenCredentials } from "./ecr.ts";
import { OciRegistry } from "./oci.ts";
import { DEFAULT_RETRY } from "./retry.ts";
import type { CreateRegistryOptions, EcrPort, Registry } from "./types.ts";

export * from "./types.ts";
export { parseImageRef, formatImageRef, isLoopback } from "./ref.ts";
export { chainCredentials, dockerConfigCredentials, dockerConfigPath, dockerConfigSource, staticCredentials } from "./credentials.ts";
export { ecrTargetOf, parseEcrHost, parseEcrHosts, type EcrHosts, type EcrTarget } from "./ecr.ts";
export { createSdkEcrPort } from "./ecr-sdk.ts";
export { sha256Digest } from "./digest.ts";
export { readDockerStream, type DockerStreamLine } from "../engine/stream.ts";
export { MemoryRegistry } from "./memory.ts";
export { copyImage, type CopyImageOptions } from "./copy.ts";
export { manifestReferences } from "./manifest.ts";

/**
 * A registry client for `host`. ECR hosts get the ECR implementation (token from
 * GetAuthorizationToken, PutImage/BatchGetImage for tags); everything else speaks
 * plain OCI distribution.
 */
export function createRegistry(opts: CreateRegistryOptions): Registry {
  if (!opts.host || /[/\s]/.test(opts.host)) throw new UsageError(`invalid registry host "${opts.host}"`);
  const retry = opts.retry ?? DEFAULT_RETRY;
  const base = { insecure: opts.insecure, retry, concurrency: opts.concurrency ?? 8, tagsPageSize: opts.tagsPageSize ?? 1000, timeoutMs: opts.timeoutMs };
  const ecrHost = ecrTargetOf(opts.host, opts.ecrHosts);
  if (!ecrHost) return new OciRegistry(opts.host, { ...base, credentials: opts.credentials });
  let port: Promise<EcrPort> | undefined;
  const getPort = () => (port ??= opts.ecr ? Promise.resolve(opts.ecr) : createSdkEcrPort(ecrHost));
  // Explicit credentials (e.g. a docker config entry) are ignored for ECR: its tokens come from the API.
  const token = ecrTokenCredentials(getPort, retry, () => oci.stats.requests++);
  const oci: OciRegistry = new OciRegistry(opts.host, { ...base, authorization: () => token.header() });
  return new EcrRegistry(oci, getPort, retry, token);
}
