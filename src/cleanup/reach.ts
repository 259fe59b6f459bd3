import pLimit from "p-limit";
import { TOOLCHAIN_INPUT } from "../ansible/tag.ts";
import { ANNOTATIONS, LABELS, NEEDS_LABEL } from "../build/names.ts";
import type { ManifestResult, Registry } from "../registry/types.ts";

/** The stage digests a stage is built from (its slipway.needs label), read from the registry. */
export type NeedsLoader = (stageDigest: string, manifestDigest: string) => Promise<string[]>;

/** The Ansible toolchain digest a stage was built with (its slipway.inputs label); undefined for other stages. */
export type ToolchainLoader = (stageDigest: string, manifestDigest: string) => Promise<string | undefined>;

/** When a stage tag was written (its manifest's io.slipway.published); undefined when not recorded. */
export type PublishedLoader = (stageDigest: string, manifestDigest: string) => Promise<Date | undefined>;

/** Reads run once per key; a failed read is forgotten, so a later retry of the plan reads again. */
function memo<T>(read: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (key) => {
    let p = cache.get(key);
    if (!p) {
      p = read(key);
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p;
  };
}

/**
 * What cleanup reads of a stage, from its manifest (one GET, shared) and config blob (one
 * more GET, for `slipway.needs` only): stages are immutable by digest, so every answer is
 * cached for the whole run.
 */
export function registryStageFacts(registry: Registry, repo: string): { needs: NeedsLoader; published: PublishedLoader; toolchain: ToolchainLoader } {
  const manifest = memo((digest): Promise<ManifestResult | undefined> => registry.getManifest(repo, digest));
  const labels = memo(async (digest) => {
    const m = await manifest(digest);
    return m ? labelsOfManifest(registry, repo, m.body) : {};
  });
  return {
    needs: async (_stage, manifestDigest) => needsOfLabels(await labels(manifestDigest)),
    toolchain: async (_stage, manifestDigest) => toolchainOfLabels(await labels(manifestDigest)),
    published: async (_stage, manifestDigest) => {
      const m = await manifest(manifestDigest);
      return m ? publishedOf(m.body) : undefined;
    },
  };
}

/** Reads `slipway.needs` from each stage's config blob (manifest GET + config GET), once per stage. */
export function registryNeeds(registry: Registry, repo: string): NeedsLoader {
  return registryStageFacts(registry, repo).needs;
}

/** The publish time a stage manifest records; undefined for stages published before it was recorded. */
export function publishedOf(body: Uint8Array): Date | undefined {
  let doc: { annotations?: Record<string, string> };
  try {
    doc = JSON.parse(Buffer.from(body).toString("utf8")) as typeof doc;
  } catch {
    return undefined;
  }
  const value = doc.annotations?.[ANNOTATIONS.published];
  const when = value ? new Date(value) : undefined;
  return when && !Number.isNaN(when.getTime()) ? when : undefined;
}

/** The labels of the config blob of a stage manifest. */
async function labelsOfManifest(registry: Registry, repo: string, body: Uint8Array): Promise<Record<string, string>> {
  const manifest = JSON.parse(Buffer.from(body).toString("utf8")) as { config?: { digest?: string } };
  if (!manifest.config?.digest) return {};
  const config = JSON.parse(Buffer.from(await registry.getBlob(repo, manifest.config.digest)).toString("utf8")) as { config?: { Labels?: Record<string, string> } };
  return config.config?.Labels ?? {};
}

function needsOfLabels(labels: Record<string, string>): string[] {
  return (labels[NEEDS_LABEL] ?? "").split(/\s+/).filter((d) => /^[0-9a-f]{64}$/.test(d));
}

function toolchainOfLabels(labels: Record<string, string>): string | undefined {
  try {
    const value = (JSON.parse(labels[LABELS.inputs] ?? "{}") as Record<string, unknown>)[TOOLCHAIN_INPUT];
    return typeof value === "string" && /^sha256:[0-9a-f]{64}$/.test(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The needs recorded in the config blob of a stage manifest. */
export async function needsOfManifest(registry: Registry, repo: string, body: Uint8Array): Promise<string[]> {
  return needsOfLabels(await labelsOfManifest(registry, repo, body));
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
