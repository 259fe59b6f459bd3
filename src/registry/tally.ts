/**
 * Blob bytes counted per operation as well as per registry: work that runs at the
 * same time as other work (stages of independent images or chains) learns the
 * bytes it moved itself, which a difference of the registry's running totals
 * cannot tell once two stages move bytes at once.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { TransferStats } from "./types.ts";

export interface Tally {
  pulled: number;
  pushed: number;
}

interface Scope {
  stats: TransferStats;
  tally: Tally;
  outer?: Scope;
}

const scopes = new AsyncLocalStorage<Scope>();

/** Adds blob bytes to a registry's totals and to every open tally of that registry around the caller. */
export function countBlobBytes(stats: TransferStats, direction: "pulled" | "pushed", bytes: number): void {
  if (direction === "pulled") stats.bytesPulled += bytes;
  else stats.bytesPushed += bytes;
  for (let scope = scopes.getStore(); scope; scope = scope.outer) {
    if (scope.stats === stats) scope.tally[direction] += bytes;
  }
}

/**
 * Runs `work` with a tally of the blob bytes moved to and from the registry whose
 * totals are `stats`, by `work` and everything it starts (also what it leaves running
 * in the background, until that ends: read the tally when the work you count is done).
 */
export async function tallied<T>(stats: TransferStats, work: () => Promise<T>): Promise<{ value: T; tally: Tally }> {
  const tally: Tally = { pulled: 0, pushed: 0 };
  const value = await scopes.run({ stats, tally, outer: scopes.getStore() }, work);
  return { value, tally };
}

/**
 * Runs `work` outside every open tally (the registry's totals still count its bytes): for
 * a transfer several stages share, whose bytes the first to wait for it counts itself.
 */
export function outsideTallies<T>(work: () => Promise<T>): Promise<T> {
  return scopes.exit(work);
}
