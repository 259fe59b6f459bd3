import type { InterruptionEnv } from "../../src/functions-config/ports.ts";
import { recoverNode, type RecoveryOutcome } from "../../src/fleet/recovery.ts";
import { silent, type Log, type NodeEvent, type NodeEventFunction } from "../runtime/types.ts";

export type { InterruptionEnv };

export type InterruptionReport =
  | { status: "ignored"; nodeId: string; reason: string }
  | { status: "nothing-to-do"; nodeId: string; jobId: number }
  | { status: "recovered"; outcome: RecoveryOutcome };

/** States in which an instance will not finish its job: it is stopping or gone. */
const GOING = new Set(["stopping", "stopped", "shutting-down", "terminated"]);

function cause(e: NodeEvent): string | undefined {
  if (e.kind === "interruption-warning") return "spot-interruption-warning";
  return e.state && GOING.has(e.state) ? `state-change:${e.state}` : undefined;
}

/**
 * A node is going (spot reclaim in two minutes) or gone (stopping, shutting down,
 * terminated): if its job still runs in GitLab, cancel it and retry it once, with the
 * retry's node on-demand first. Events for other instances, harmless states and jobs that
 * already ended change nothing; a duplicate event finds the interruption already noted.
 */
const interruption: NodeEventFunction<InterruptionEnv, InterruptionReport> = {
  async nodeEvent(event, env) {
    const log = env.log ?? silent;
    const why = cause(event);
    if (!why) return { status: "ignored", nodeId: event.nodeId, reason: `state ${event.state ?? "?"} does not end a node` };
    const node = (await env.fleet.list()).find((n) => n.id === event.nodeId);
    if (!node) return { status: "ignored", nodeId: event.nodeId, reason: "not a slipway node" };
    if (env.enabled === false) {
      log("interruption.disabled", { nodeId: node.id, jobId: node.jobId, cause: why });
      return { status: "ignored", nodeId: node.id, reason: "SLIPWAY_RETRY_INTERRUPTED=false" };
    }
    const outcome = await recoverNode({ ...env, log }, node, why);
    if (!outcome) {
      log("interruption.nothing-to-do", { nodeId: node.id, jobId: node.jobId, cause: why });
      return { status: "nothing-to-do", nodeId: node.id, jobId: node.jobId };
    }
    return { status: "recovered", outcome };
  },
};
export default interruption;
