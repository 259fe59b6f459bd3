import pLimit from "p-limit";
import { NEEDS_LABEL } from "../build/names.ts";
import type { Registry } from "../registry/types.ts";

/** The stage digests a stage is built from (its slipway.needs label), read from the registry. */
export type NeedsLoader = (stageDigest: string, manifestDigest: string) => Promise<string[]>;

/**
 * Reads `slipway.needs` from each stage's config blob (manifest GET + config GET), once
 * per stage: stages are immutable, so the answer is cached for the whole run.
 */
export function registryNeeds(registry: Registry, repo: string): NeedsLoader {
  const cache = new Map<string, Promise<string[]>>();
  return (stage, manifestDigest) => {
    let p = cache.get(stage);
    if (!p) {
      p = (async () => {
        const m = await registry.getManifest(repo, manifestDigest);
        return m ? needsOfManifest(registry, repo, m.body) : [];
      })();
      cache.set(stage, p);
      // A failed read must not stay cached as a failure for a later retry of the plan.
      p.catch(() => cache.delete(stage));
    }
    return p;
  };
}

/** The needs recorded in the config blob of a stage manifest. */
export async function needsOfManifest(registry: Registry, repo: string, body: Uint8Array): Promise<string[]> {
  const manifest = JSON.parse(Buffer.from(body).toString("utf8")) as { config?: { digest?: string } };
  if (!manifest.config?.digest) return [];
  const config = JSON.parse(Buffer.from(await registry.getBlob(repo, manifest.config.digest)).toString("utf8")) as { config?: { Labels?: Record<string, string> } };
  return (config.config?.Labels?.[NEEDS_LABEL] ?? "").split(/\s+/).filter((d) => /^[0-9a-f]{64}$/.test(d));
}

export interface Reachability {
  /** stage digest -> why it is needed (the root that reached it first). */
  needed: Map<string, string>;
  /** Stage digests a needed stage names but the registry does not have. */
  missing: Set<string>;
}

/**
 * Every stage reachable from `roots` through recorded needs. `stages` maps stage digest ->
 * manifest digest of its tag. Breadth first, reads in parallel; each stage read once.
 */
export async function reach(roots: Map<string, string>, stages: Map<string, string>, needsOf: NeedsLoader, concurrency = 16): Promise<Reachability> {
  const limit = pLimit(concurrency);
  const needed = new Map<string, string>();
  const missing = new Set<string>();
  let frontier = [...roots];
  while (frontier.length) {
    const next: Array<[string, string]> = [];
    const fresh = frontier.filter(([d, why]) => {
      if (needed.has(d) || missing.has(d)) return false;
      if (!stages.has(d)) {
        missing.add(d);
        return false;
      }
      needed.set(d, why);
      return true;
    });
    await Promise.all(fresh.map(([d, why]) => limit(async () => {
      for (const n of await needsOf(d, stages.get(d)!)) next.push([n, why]);
    })));
    frontier = next;
  }
  return { needed, missing };
}
