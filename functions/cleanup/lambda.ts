import { ecrDeleter, ociDeleter } from "../../src/cleanup/delete.ts";
import { UsageError } from "../../src/errors.ts";
import { cleanupTarget, registryCleanup, type CleanupPorts } from "../../src/functions-config/cleanup.ts";
import type { FunctionsConfig } from "../../src/functions-config/config.ts";
import { cleanupEnv } from "../../src/functions-config/envs.ts";
import { createRegistry } from "../../src/registry/index.ts";
import { createSdkEcrPort } from "../../src/registry/ecr-sdk.ts";
import { ecrTargetOf, parseEcrHosts } from "../../src/registry/ecr-hosts.ts";
import { DEFAULT_RETRY } from "../../src/registry/retry.ts";
import { jsonLog, lambdaConfigOnce } from "../runtime/aws-env.ts";
import { scheduledHandler } from "../runtime/aws-lambda.ts";
import cleanup, { type CleanupEnv } from "./index.ts";

/**
 * The cleanup function's env, without a fleet (its role may not touch EC2): ECR through
 * the SDK (deletes by tag), another registry anonymously over OCI. Kept in this entry, not
 * in aws-env.ts, so the other functions' bundles do not carry the cleanup library.
 * Kubernetes is not consulted from Lambda; a kubeconfig setting is refused, not ignored.
 */
export async function lambdaCleanupEnv(cfg: FunctionsConfig, ports: Partial<CleanupPorts> = {}, env: Record<string, string | undefined> = process.env): Promise<CleanupEnv> {
  if (!cfg.cleanup.repo) return cleanupEnv(cfg, undefined, jsonLog);
  if (cfg.cleanup.kubeconfig) throw new UsageError("SLIPWAY_CLEANUP_KUBECONFIG: Kubernetes is not consulted from Lambda; run `slipway cleanup repo` where the clusters are reachable");
  const host = cleanupTarget(cfg.cleanup.repo).host;
  const ecrHosts = parseEcrHosts(env.SLIPWAY_ECR_HOSTS);
  const ecrHost = ecrTargetOf(host, ecrHosts);
  let base: Pick<CleanupPorts, "registry" | "deleter" | "repositories">;
  if (ecrHost) {
    const port = await createSdkEcrPort(ecrHost);
    // DescribeRepositories finds every REPO/<image> slipway wrote, named in a config or not.
    const list = port.describeRepositories?.bind(port);
    base = { registry: createRegistry({ host, ecr: port, ecrHosts }), deleter: ecrDeleter(port, DEFAULT_RETRY), ...(list && { repositories: list }) };
  } else {
    const registry = createRegistry({ host });
    base = { registry, deleter: ociDeleter(registry) };
  }
  return cleanupEnv(cfg, registryCleanup(cfg, { ...base, ...ports }, jsonLog), jsonLog);
}

/** The config and its SSM secrets, read once per container (cold start). */
const config = lambdaConfigOnce(process.env, { launches: false });

/** Lambda entry (EventBridge schedule). */
export const handler = scheduledHandler(cleanup, async () => lambdaCleanupEnv(await config()));
