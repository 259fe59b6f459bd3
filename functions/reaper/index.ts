import { reap, type ReapDeps, type ReapReport } from "../../src/fleet/reaper.ts";
import { silent, type Log, type ScheduledFunction } from "../runtime/types.ts";

export interface ReaperEnv extends ReapDeps {
  log?: Log;
}

/** Scheduled: terminates nodes past their lifetime, done with their job, or never registered. */
const reaper: ScheduledFunction<ReaperEnv, ReapReport> = {
  async scheduled(_event, env) {
    const report = await reap(env);
    (env.log ?? silent)("reaper.done", { ...report });
    return report;
  },
};
export default reaper;
