import { reconcile, type ReconcileDeps, type ReconcileReport } from "../../src/fleet/reconciler.ts";
import { silent, type Log, type ScheduledFunction } from "../runtime/types.ts";

export interface ReconcilerEnv extends ReconcileDeps {
  log?: Log;
}

/** Scheduled: launches for pending jobs whose webhook never arrived. */
const reconciler: ScheduledFunction<ReconcilerEnv, ReconcileReport> = {
  async scheduled(_event, env) {
    const report = await reconcile(env);
    (env.log ?? silent)("reconciler.done", { ...report });
    return report;
  },
};
export default reconciler;
