import { silent, type Log, type ScheduledFunction } from "../runtime/types.ts";

/**
 * The registry cleanup this function drives. The cleanup library fills it in; until then
 * the function reports "not configured" instead of pretending to have cleaned anything.
 */
export interface RegistryCleanup {
  run(opts: { dryRun: boolean }): Promise<{ deleted: number; kept: number }>;
}

export interface CleanupEnv {
  cleanup?: RegistryCleanup;
  dryRun?: boolean;
  log?: Log;
}

export type CleanupReport =
  | { status: "not-configured"; message: string }
  | { status: "done"; deleted: number; kept: number; dryRun: boolean };

const cleanup: ScheduledFunction<CleanupEnv, CleanupReport> = {
  async scheduled(_event, env) {
    const log = env.log ?? silent;
    if (!env.cleanup) {
      const report = { status: "not-configured", message: "registry cleanup is not configured: set SLIPWAY_REPO (and SLIPWAY_PROJECTS for git refs)" } as const;
      log("cleanup.not-configured", report);
      return report;
    }
    const dryRun = env.dryRun ?? false;
    const result = await env.cleanup.run({ dryRun });
    log("cleanup.done", { ...result, dryRun });
    return { status: "done", ...result, dryRun };
  },
};
export default cleanup;
