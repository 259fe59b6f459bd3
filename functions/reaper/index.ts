import { reap, type ReapReport } from "../../src/fleet/reaper.ts";
import type { ReaperEnv } from "../../src/functions-config/ports.ts";
import { silent, type ScheduledFunction } from "../runtime/types.ts";

export type { ReaperEnv };

/** Scheduled: terminates nodes past their lifetime, done with their job, or never registered. */
const reaper: ScheduledFunction<ReaperEnv, ReapReport> = {
  async scheduled(_event, env) {
    const report = await reap(env);
    (env.log ?? silent)("reaper.done", { ...report });
    return report;
  },
};
export default reaper;
