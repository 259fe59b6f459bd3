/**
 * An image's stages as chains: each chain starts at a root stage (a Dockerfile FROM)
 * and runs in order; a chain waits for the chains whose stages it needs (FROM <stage>,
 * COPY --from, RUN --mount from=). Independent chains (a Dockerfile's independent
 * build stages) run at the same time, at most `limit` at once.
 */
import pLimit from "p-limit";
import type { PlannedStage } from "./plan.ts";

export interface Chain {
  /** Indexes into the image's stages, in order. */
  stages: number[];
  /** Chains (by index) this one needs finished first. */
  after: number[];
}

export function chainsOf(stages: PlannedStage[]): Chain[] {
  const chains: Chain[] = [];
  const chainOf = new Map<string, number>();
  stages.forEach((stage, i) => {
    if (i === 0 || stage.stage.root) chains.push({ stages: [], after: [] });
    const current = chains.length - 1;
    const chain = chains[current];
    chain.stages.push(i);
    for (const digest of stage.stage.needs?.() ?? []) {
      const other = chainOf.get(digest);
      if (other !== undefined && other !== current && !chain.after.includes(other)) chain.after.push(other);
    }
    chainOf.set(stage.digest, current);
  });
  return chains;
}

/**
 * Runs `run` for every stage, chain by chain as above. Every started chain is let
 * finish (no engine work left behind); then the first failure in stage order is thrown.
 *
 * A stage's run may call `ready()` before it ends: the next stage of its chain starts
 * then (a stage made in Node is readable while it uploads; the store orders the tags).
 * A chain stops at its first failure; a stage already started after it runs to its end.
 */
export async function runChains<T>(stages: PlannedStage[], limit: number, run: (index: number, ready: () => void) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(stages.length);
  const slots = pLimit(Math.max(1, limit));
  const failures = new Map<number, unknown>();
  const done: Promise<void>[] = [];
  for (const chain of chainsOf(stages)) {
    const waitFor = chain.after.map((c) => done[c]);
    done.push(Promise.all(waitFor).then(() => slots(async () => {
      const started: Promise<void>[] = [];
      let failed = false;
      try {
        for (const i of chain.stages) {
          // A stage that failed after letting the next one start: nothing further starts.
          if (failed) break;
          let ready!: () => void;
          const readied = new Promise<void>((resolve) => (ready = resolve));
          const running = run(i, ready).then((value) => {
            results[i] = value;
          }, (err: unknown) => {
            failures.set(i, err);
            failed = true;
            throw err;
          });
          started.push(running);
          await Promise.race([readied, running]);
        }
      } finally {
        const rejected = (await Promise.allSettled(started)).find((r) => r.status === "rejected");
        if (rejected) throw rejected.reason;
      }
    })));
  }
  await Promise.allSettled(done);
  if (failures.size > 0) throw failures.get(Math.min(...failures.keys()));
  return results;
}
