import { CapacityError, isLive, type Fleet } from "./types.ts";

/**
 * Wraps any provider with a cap on live nodes. A relaunch for a job that already has a
 * node is never refused by the cap: the provider answers it idempotently.
 */
export function withCap(fleet: Fleet, maxNodes: number): Fleet {
  return {
    ...fleet,
    list: () => fleet.list(),
    terminate: (id, reason) => fleet.terminate(id, reason),
    mark: (id) => fleet.mark(id),
    noteInterruption: (id, note) => fleet.noteInterruption(id, note),
    async launch(spec) {
      const live = (await fleet.list()).filter(isLive);
      const own = live.find((n) => n.jobId === spec.jobId);
      if (own) return own;
      if (live.length >= maxNodes) throw new CapacityError(`fleet is full: ${live.length} of ${maxNodes} nodes live`);
      return fleet.launch(spec);
    },
  };
}
