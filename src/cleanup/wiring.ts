/**
 * Turns CLI flags and the environment (read once, at the edge) into the options of
 * cleanupRepo / cleanupLocalStages. Imported lazily by the CLI command.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { loadProject } from "../dockerfile/entry.ts";
import { gitLabRefs, localGitRefs, missingCommits, type GitRefSource } from "../gitrefs/index.ts";
import { kubeImages, type KubeImageSource } from "../k8s/index.ts";
import { createRegistry, createSdkEcrPort, dockerConfigCredentials, dockerConfigPath, ecrTargetOf, parseEcrHosts } from "../registry/index.ts";
import { DEFAULT_RETRY } from "../registry/retry.ts";
import type { Registry } from "../registry/types.ts";
import { policyOfConfig } from "./config.ts";
import { ecrDeleter, ociDeleter } from "./delete.ts";
import { durationOrThrow } from "./duration.ts";
import { compilePattern } from "./policy.ts";
import type { CleanupRepoOptions } from "./repo-cleanup.ts";
import { parseStagesRepo, type StagesRepo } from "../registry/repo.ts";
import { imagesToClean, type RepositoryLister } from "./repos.ts";
import type { TagDeleter } from "./types.ts";

type Env = Record<string, string | undefined>;

export interface RepoCleanupFlags {
  dir: string;
  config?: string;
  dryRun?: boolean;
  grace?: string;
  kubeconfig?: string;
  kubeContext?: string[];
  /** commander's --no-kube sets kube: false. */
  kube?: boolean;
  keep?: string[];
  gitRefs?: string;
  remote?: string;
}

/** REPO of `cleanup repo`: the same grammar as bp and stages (src/registry/repo.ts). */
export function parseRepo(repo: string): StagesRepo {
  return parseStagesRepo(repo);
}

/**
 * The registry client and deleter for `host`; on ECR also the repository lister that finds
 * image repositories the config no longer names (SLIPWAY_ECR_HOSTS declares ECR hosts under
 * other names).
 */
export async function registryAndDeleter(host: string, env: Env): Promise<{ registry: Registry; deleter: TagDeleter; repositories?: RepositoryLister }> {
  const ecrHosts = parseEcrHosts(env.SLIPWAY_ECR_HOSTS);
  const ecrHost = ecrTargetOf(host, ecrHosts);
  if (ecrHost) {
    const port = await createSdkEcrPort(ecrHost);
    const list = port.describeRepositories?.bind(port);
    return { registry: createRegistry({ host, ecr: port, ecrHosts }), deleter: ecrDeleter(port, DEFAULT_RETRY), ...(list && { repositories: list }) };
  }
  const credentials = dockerConfigCredentials({ path: dockerConfigPath(env, homedir()), env });
  const registry = createRegistry({ host, credentials });
  return { registry, deleter: ociDeleter(registry) };
}

/** `--git-refs auto|local|gitlab`. auto: the GitLab API when CI_API_V4_URL, CI_PROJECT_ID and SLIPWAY_GITLAB_TOKEN are set. */
export function gitRefSource(flags: RepoCleanupFlags, dir: string, env: Env): GitRefSource {
  const mode = flags.gitRefs ?? "auto";
  if (!["auto", "local", "gitlab"].includes(mode)) throw new UsageError(`--git-refs must be auto, local or gitlab (got ${mode})`);
  const token = env.SLIPWAY_GITLAB_TOKEN ?? env.GITLAB_TOKEN;
  const api = env.CI_API_V4_URL && env.CI_PROJECT_ID ? { apiUrl: env.CI_API_V4_URL, projectId: env.CI_PROJECT_ID } : undefined;
  if (mode === "gitlab" || (mode === "auto" && api && token)) {
    if (!api) throw new UsageError("--git-refs gitlab needs CI_API_V4_URL and CI_PROJECT_ID");
    if (token) return gitLabRefs({ ...api, token });
    if (env.CI_JOB_TOKEN) return gitLabRefs({ ...api, token: env.CI_JOB_TOKEN, tokenKind: "job" });
    throw new UsageError("--git-refs gitlab needs SLIPWAY_GITLAB_TOKEN (or CI_JOB_TOKEN)");
  }
  return localGitRefs({ dir, ...(flags.remote !== undefined && { remote: flags.remote }) });
}

/**
 * Kubernetes is consulted unless --no-kube. A kubeconfig that is named (flag, KUBECONFIG)
 * but unreadable stops cleanup; when none exists at all (no flag, no KUBECONFIG, no
 * ~/.kube/config, not in a pod) there is no configured cluster: cleanup goes on and says so.
 */
export function kubeSource(flags: RepoCleanupFlags, env: Env): { source?: KubeImageSource; warning?: string } {
  if (flags.kube === false) return {};
  const contexts = flags.kubeContext ?? [];
  if (flags.kubeconfig) return { source: kubeImages({ kubeconfig: flags.kubeconfig, contexts }) };
  const inCluster = env.KUBERNETES_SERVICE_HOST !== undefined;
  const file = join(env.HOME ?? homedir(), ".kube", "config");
  if (!env.KUBECONFIG && !inCluster && !existsSync(file)) {
    if (contexts.length) throw new UsageError("--kube-context given but no kubeconfig found (KUBECONFIG, ~/.kube/config): pass --kubeconfig FILE");
    return { warning: "no kubeconfig found (KUBECONFIG, ~/.kube/config, in-cluster): images used in Kubernetes were not checked; pass --kubeconfig FILE, or --no-kube to silence this" };
  }
  // KUBECONFIG may list several files; client-node merges them like kubectl.
  return { source: kubeImages({ contexts }) };
}

export async function repoCleanupOptions(repo: string, flags: RepoCleanupFlags, env: Env): Promise<CleanupRepoOptions> {
  const { host, repository } = parseRepo(repo);
  // The project a build would load: a Dockerfile-only project is cleaned like any other.
  const config = await loadProject({ dir: flags.dir, config: flags.config }, env);
  const policy = await policyOfConfig(config, env);
  const { registry, deleter, repositories } = await registryAndDeleter(host, env);
  const kube = kubeSource(flags, env);
  return {
    registry,
    deleter,
    repo: repository,
    images: await imagesToClean(registry, repository, config.images.map((i) => i.name), repositories),
    refs: gitRefSource(flags, config.dir, env),
    ...(kube.source && { kube: kube.source }),
    ...(kube.warning && { warnings: [kube.warning] }),
    policy,
    ...(flags.grace !== undefined && { graceMs: durationOrThrow(flags.grace, "--grace") }),
    keep: (flags.keep ?? []).map((pattern) => ({ pattern, matches: compilePattern(pattern) })),
    dryRun: flags.dryRun === true,
  };
}

export { missingCommits };
