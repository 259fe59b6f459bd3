import { reconcile, type ReconcileReport } from "../../src/fleet/reconciler.ts";
import type { ReconcilerEnv } from "../../src/functions-config/ports.ts";
import { silent, type ScheduledFunction } from "../runtime/types.ts";

export type { ReconcilerEnv };

/** Scheduled: launches for pending jobs whose webhook never arrived. */
const reconciler: ScheduledFunction<ReconcilerEnv, ReconcileReport> = {
  async scheduled(_event, env) {
    const report = await reconcile(env);
    (env.log ?? silent)("reconciler.done", { ...report });
    return report;
  },
};
export default reconciler;
