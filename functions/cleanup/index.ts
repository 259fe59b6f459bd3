import type { CleanupEnv, RegistryCleanup } from "../../src/functions-config/ports.ts";
import { silent, type ScheduledFunction } from "../runtime/types.ts";

export type { CleanupEnv, RegistryCleanup };

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
