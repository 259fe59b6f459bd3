/**
 * Restores the cache directories of one run, runs it, and saves them back when the run
 * succeeded. Runs on one node that mount the same directory take turns (restoring
 * empties it first, which must never happen under a running container).
 */
import type { RunBind } from "../engine/types.ts";
import type { CacheRestore, DependencyCache } from "./types.ts";

export interface CacheUse {
  bytesRestored: number;
  bytesSaved: number;
  warnings: string[];
}

const turns = new Map<string, Promise<unknown>>();

/** Runs `fn` once every earlier holder of all `dirs` has finished. */
async function inTurn<T>(dirs: string[], fn: () => Promise<T>): Promise<T> {
  const before = dirs.map((d) => turns.get(d) ?? Promise.resolve());
  const mine = Promise.allSettled(before).then(fn);
  const settled = mine.catch(() => undefined);
  for (const d of dirs) turns.set(d, settled);
  try {
    return await mine;
  } finally {
    for (const d of dirs) if (turns.get(d) === settled) turns.delete(d);
  }
}

/**
 * `binds` are the real binds (sources resolved); those with `cache` set are restored
 * and saved through `caches`. Without `caches` (a local build) the run just runs.
 */
export async function aroundRun<T>(
  caches: DependencyCache | undefined, binds: RunBind[], run: () => Promise<T>, succeeded: (result: T) => boolean,
): Promise<{ result: T; use?: CacheUse }> {
  const cached = binds.filter((b) => b.cache !== undefined);
  if (!caches || cached.length === 0) return { result: await run() };
  const dirs = [...new Set(cached.map((b) => b.source))];
  return inTurn(dirs, async () => {
    const use: CacheUse = { bytesRestored: 0, bytesSaved: 0, warnings: [] };
    const restored = new Map<string, CacheRestore>();
    for (const b of cached) {
      if (restored.has(b.source)) continue;
      const r = await caches.restore(b.cache!, b.source);
      restored.set(b.source, r);
      use.bytesRestored += r.bytes;
      use.warnings.push(...r.warnings);
    }
    const result = await run();
    if (!succeeded(result)) return { result, use };
    const saved = new Set<string>();
    for (const b of cached) {
      if (saved.has(b.source)) continue;
      saved.add(b.source);
      // A directory mounted read-only everywhere in the run is never saved.
      const readOnly = cached.filter((c) => c.source === b.source).every((c) => c.readOnly);
      const s = await caches.save(b.cache!, b.source, restored.get(b.source)!, { readOnly });
      use.bytesSaved += s.bytes;
      use.warnings.push(...s.warnings);
    }
    return { result, use };
  });
}
