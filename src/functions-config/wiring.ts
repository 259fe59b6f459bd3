import { join } from "node:path";
import type { NodeSecrets } from "../fleet/reaper.ts";
import { withCap } from "../fleet/cap.ts";
import type { Fleet } from "../fleet/types.ts";
import { createGitLabClient } from "../gitlab/http.ts";
import type { GitLabApi } from "../gitlab/types.ts";
import { cleanupTarget, registryCleanup } from "./cleanup.ts";
import { silent, type Log } from "../log.ts";
import type { FunctionsConfig } from "./config.ts";
import type { RegistryCleanup } from "./ports.ts";

export { functionEnvs, type FunctionEnvs } from "./envs.ts";

export interface Services {
  fleet: Fleet;
  gitlab: GitLabApi;
  secrets?: NodeSecrets;
  /** Registry cleanup when SLIPWAY_REPO is set. */
  cleanup?: RegistryCleanup;
  /** Stops whatever the fleet runs in this process (local nodes). */
  dispose(): Promise<void>;
  /** Resolves when the nodes this process runs have ended (local fleet; at once for ec2). */
  idle(): Promise<void>;
  /** The ec2 warm pool, when SLIPWAY_WARM_POOL_SIZE is set. */
  pool?: { maintain(): Promise<{ size: number; launched: string[]; terminated: string[] }> };
}

export interface ServiceOptions {
  /** Environment local nodes start from (the CLI passes process.env). */
  baseEnv?: Record<string, string | undefined>;
  nodeLog?: (nodeId: string, line: string) => void;
  fetch?: typeof fetch;
  log?: Log;
}

export interface ServeOptions extends ServiceOptions {
  port?: number;
  host?: string;
  log: Log;
  /** Delay before the local queue redelivers a message the launcher asked to retry. */
  retryDelayMs?: number;
}

export interface RunningFunctions extends AsyncDisposable {
  url: string;
  services: Services;
  /** Waits until every queued launch has been handled once. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** What the local host offers (functions/runtime/serve.ts): the functions served on this machine. */
export type ServeFunctions = (cfg: FunctionsConfig, o: ServeOptions) => Promise<RunningFunctions>;

/**
 * Local registry cleanup: the registry client and deleter `slipway cleanup repo` uses
 * (docker config credentials, or ECR through the SDK), Kubernetes only with a kubeconfig.
 */
async function localCleanup(cfg: FunctionsConfig, o: ServiceOptions): Promise<RegistryCleanup | undefined> {
  if (!cfg.cleanup.repo) return undefined;
  const { registryAndDeleter } = await import("../cleanup/wiring.ts");
  const ports = await registryAndDeleter(cleanupTarget(cfg.cleanup.repo).host, o.baseEnv ?? {});
  const kubeconfig = cfg.cleanup.kubeconfig;
  const kube = kubeconfig ? (await import("../k8s/index.ts")).kubeImages({ kubeconfig, contexts: [] }) : undefined;
  return registryCleanup(cfg, { ...ports, ...(kube && { kube }), ...(o.fetch && { fetch: o.fetch }) }, o.log ?? silent);
}

/** Chooses the fleet provider by configuration, not by code. */
export async function createServices(cfg: FunctionsConfig, o: ServiceOptions = {}): Promise<Services> {
  const gitlab = createGitLabClient({ url: cfg.gitlabUrl, token: cfg.gitlabToken, ...(o.fetch ? { fetch: o.fetch } : {}) });
  const cleanup = await localCleanup(cfg, o);
  if (cfg.fleet === "ec2") {
    const { createEc2Fleet } = await import("../fleet/ec2/provider.ts");
    const fleet = await createEc2Fleet({ ...cfg.ec2 });
    return {
      fleet: withCap(fleet, cfg.maxNodes), gitlab, secrets: fleet.tokens, ...(fleet.pool && { pool: fleet.pool }), ...(cleanup && { cleanup }),
      dispose: async () => undefined, idle: async () => undefined,
    };
  }
  const { createLocalFleet } = await import("../fleet/local/provider.ts");
  const fleet = createLocalFleet({
    home: cfg.home,
    storageDriver: cfg.local.storageDriver,
    log: o.nodeLog,
    bootstrap: { gitlabUrl: cfg.gitlabUrl, runnerToken: cfg.local.runnerToken, jobCommand: cfg.local.jobCommand, baseEnv: o.baseEnv },
  });
  return {
    fleet: withCap(fleet, cfg.maxNodes),
    gitlab,
    ...(cleanup && { cleanup }),
    idle: () => fleet.idle(),
    dispose: async () => {
      await fleet[Symbol.asyncDispose]();
    },
  };
}

export const dedupeFile = (cfg: FunctionsConfig) => join(cfg.home, "functions", "dedupe.json");
