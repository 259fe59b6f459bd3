import { policyFromValue } from "../cleanup/policy.ts";
import { cleanupRepo } from "../cleanup/repo-cleanup.ts";
import { imagesToClean, type RepositoryLister } from "../cleanup/repos.ts";
import type { TagDeleter } from "../cleanup/types.ts";
import { RegistryError, UsageError } from "../errors.ts";
import { gitLabRefs } from "../gitrefs/gitlab.ts";
import type { GitRefSource } from "../gitrefs/types.ts";
import type { KubeImageSource } from "../k8s/types.ts";
import { parseStagesRepo, type StagesRepo } from "../registry/repo.ts";
import type { Registry } from "../registry/types.ts";
import type { Log } from "../log.ts";
import type { FunctionsConfig } from "./config.ts";
import type { RegistryCleanup } from "./ports.ts";

/** What the platform wiring (Lambda or local) supplies; the rest comes from the config. */
export interface CleanupPorts {
  registry: Registry;
  deleter: TagDeleter;
  /** Lists the registry's repositories (ECR), so every `REPO/<image>` slipway wrote is cleaned. */
  repositories?: RepositoryLister;
  /** undefined = Kubernetes not consulted. */
  kube?: KubeImageSource;
  /** Overrides the GitLab API as the source of living refs (tests). */
  refs?: GitRefSource;
  fetch?: typeof fetch;
  now?: () => Date;
}

/** SLIPWAY_REPO split into the registry host and the repository path. */
export function cleanupTarget(repo: string): StagesRepo {
  return parseStagesRepo(repo, "SLIPWAY_REPO");
}

/**
 * Branches and tags of every configured project, together: an image lives while any
 * project has its ref. Any project that cannot be read fails the whole list (a partial
 * list would make living branches look deleted).
 */
export function projectRefs(cfg: FunctionsConfig, fetchImpl?: typeof fetch): GitRefSource {
  const apiUrl = `${cfg.gitlabUrl.replace(/\/+$/, "")}/api/v4`;
  const sources = cfg.projects.map((p) => gitLabRefs({ apiUrl, projectId: String(p), token: cfg.gitlabToken, ...(fetchImpl && { fetch: fetchImpl }) }));
  return {
    description: `GitLab projects ${cfg.projects.join(", ")}`,
    list: async () => (await Promise.all(sources.map((s) => s.list()))).flat(),
  };
}

/**
 * The cleanup function's port, filled with the cleanup library (`slipway cleanup repo`
 * with the default keep policy): images of gone refs and stages no kept image needs go.
 */
export function registryCleanup(cfg: FunctionsConfig, ports: CleanupPorts, log: Log): RegistryCleanup {
  if (!cfg.cleanup.repo) throw new UsageError("SLIPWAY_REPO is not set: registry cleanup has no repository");
  const { repository } = cleanupTarget(cfg.cleanup.repo);
  const refs = ports.refs ?? projectRefs(cfg, ports.fetch);
  return {
    async run({ dryRun }) {
      const report = await cleanupRepo({
        registry: ports.registry,
        deleter: ports.deleter,
        repo: repository,
        images: await imagesToClean(ports.registry, repository, cfg.cleanup.images, ports.repositories),
        refs,
        ...(ports.kube && { kube: ports.kube }),
        policy: policyFromValue(undefined),
        dryRun,
        ...(ports.now && { now: ports.now }),
      });
      for (const w of report.warnings) log("cleanup.warning", { warning: w });
      for (const t of report.tags) if (t.action === "delete") log(dryRun ? "cleanup.would-delete" : "cleanup.deleted", { repository: t.repository, tag: t.tag, reason: t.reason });
      // A failed delete shows as kept in the report; fail the run so the schedule's errors show it.
      if (report.totals.failed > 0) throw new RegistryError(`registry cleanup: ${report.totals.failed} delete(s) failed, ${report.totals.deleted} done (see the cleanup.* log lines)`, undefined, "DELETE_FAILED");
      return { deleted: report.totals.deleted, kept: report.totals.kept };
    },
  };
}
