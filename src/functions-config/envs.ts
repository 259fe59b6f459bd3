import type { NodeSecrets } from "../fleet/reaper.ts";
import type { Fleet } from "../fleet/types.ts";
import type { GitLabApi } from "../gitlab/types.ts";
import type { Log } from "../log.ts";
import type { FunctionsConfig } from "./config.ts";
import type { CleanupEnv, InterruptionEnv, LauncherEnv, ReaperEnv, ReconcilerEnv, RegistryCleanup } from "./ports.ts";

/** Kept apart from the provider wiring so the Lambda bundles do not pull in the local fleet. */
export interface FunctionEnvs {
  launcher: LauncherEnv;
  reaper: ReaperEnv;
  reconciler: ReconcilerEnv;
  interruption: InterruptionEnv;
  cleanup: CleanupEnv;
}

/**
 * The cleanup function's env: without a RegistryCleanup (no SLIPWAY_REPO) it reports
 * "not configured"; SLIPWAY_CLEANUP_DRY_RUN=true plans without deleting.
 */
export function cleanupEnv(cfg: FunctionsConfig, cleanup: RegistryCleanup | undefined, log: Log): CleanupEnv {
  return { log, dryRun: cfg.cleanup.dryRun, ...(cleanup && { cleanup }) };
}

/** The env each non-HTTP handler receives; the webhook's env also needs a queue and a dedupe store. */
export function functionEnvs(
  cfg: FunctionsConfig,
  s: { fleet: Fleet; gitlab: GitLabApi; secrets?: NodeSecrets; cleanup?: RegistryCleanup; pool?: ReaperEnv["pool"] },
  log: Log,
  now: () => Date = () => new Date(),
): FunctionEnvs {
  const settings = { tags: cfg.runnerTags, mode: cfg.mode, nodeTtlMs: cfg.nodeTtlMs, retryCapacity: cfg.recovery.capacity };
  const launch = { gitlab: s.gitlab, fleet: s.fleet, now, log, settings };
  return {
    launcher: launch,
    reaper: {
      fleet: s.fleet, gitlab: s.gitlab, now, log, ...(s.secrets ? { secrets: s.secrets } : {}), ...cfg.reaper, sweepRunners: cfg.mode === "per-job",
      ...(cfg.recovery.enabled && { settings }),
      ...(s.pool && { pool: s.pool }),
    },
    reconciler: { ...launch, projects: cfg.projects, pendingAfterMs: cfg.reconcileAfterMs, recoverInterrupted: cfg.recovery.enabled },
    interruption: { ...launch, enabled: cfg.recovery.enabled },
    cleanup: cleanupEnv(cfg, s.cleanup, log),
  };
}

