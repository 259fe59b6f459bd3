import { isRetryable } from "../../src/errors.ts";
import { launchForJob, type LaunchRequest } from "../../src/fleet/launcher.ts";
import type { LauncherEnv } from "../../src/functions-config/ports.ts";
import { silent, type QueueFunction } from "../runtime/types.ts";

export type { LauncherEnv };

const isId = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;

function parse(body: string): LaunchRequest | undefined {
  try {
    const m: unknown = JSON.parse(body);
    if (typeof m !== "object" || m === null) return undefined;
    const { jobId, projectId } = m as Record<string, unknown>;
    return isId(jobId) && isId(projectId) ? { jobId, projectId } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Queue consumer: one launch per message. A full fleet or a transient failure asks the
 * queue to deliver the message again (the queue's visibility timeout is the backoff).
 * A malformed message, or a failure that says no retry can fix it (a 403 from GitLab, a
 * bad launch template), is dropped with a log line: redelivering it until the dead-letter
 * queue would only delay the same answer.
 */
const launcher: QueueFunction<LauncherEnv> = {
  async queue(batch, env) {
    const log = env.log ?? silent;
    const retry: string[] = [];
    for (const msg of batch.messages) {
      const req = parse(msg.body);
      if (!req) {
        log("launcher.malformed", { id: msg.id });
        continue;
      }
      try {
        const outcome = await launchForJob(env, req);
        log(`launcher.${outcome.kind}`, { ...req, ...("node" in outcome ? { node: outcome.node.id } : { reason: outcome.reason }) });
        if (outcome.kind === "retry") retry.push(msg.id);
      } catch (err) {
        const retryable = isRetryable(err);
        log(retryable ? "launcher.failed" : "launcher.dropped", { ...req, error: err instanceof Error ? err.message : String(err), retryable });
        if (retryable) retry.push(msg.id);
      }
    }
    return { retry };
  },
};
export default launcher;
