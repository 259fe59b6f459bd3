import pLimit from "p-limit";
import type { LocalImage } from "../../engine/types.ts";
import { ANNOTATIONS, imageRepository, LABELS } from "../names.ts";
import { parseManifest } from "../../image/index.ts";
import { stageKey } from "../explain.ts";
import type { RegistryStageStore } from "./store.ts";

/**
 * The stages of the image a tag names now (those its `io.slipway.stages` annotation
 * lists, read at once; for images written before it, the last stage, then parents
 * through the `slipway.parent` labels), by stage name: on a fresh node the nearest
 * earlier build to explain a rebuild against. Costs one manifest and a few small config
 * reads, and only runs when a stage must be built. `wanted`: the names of the stages to
 * explain (matched as `stageKey` matches them); with a listing, only those are read.
 */
export async function previousStages(store: RegistryStageStore, image: string, tag: string, limit = 32, wanted?: string[]): Promise<Map<string, LocalImage>> {
  const out = new Map<string, LocalImage>();
  const found = await store.registry.getManifest(imageRepository(store.repository, image), tag).catch(() => undefined);
  const annotations = found ? parseManifest(found.body).annotations : undefined;
  const keys = wanted && new Set(wanted.map(stageKey));
  const listed = stagesListed(annotations?.[ANNOTATIONS.stages])?.filter(([name]) => !keys || keys.has(stageKey(name)));
  if (listed) {
    // Every stage's digest is on the manifest: read those asked for, all at once.
    const reads = pLimit(8);
    const stages = await Promise.all(listed.slice(-limit).map(([, d]) => reads(() => store.read(d).catch(() => undefined))));
    for (const stage of stages) {
      const name = stage?.config.config.Labels?.[LABELS.stage];
      if (stage && name) out.set(name, { id: "", repoDigests: [], repoTags: [], config: stage.config });
    }
    return out;
  }
  let digest = annotations?.[ANNOTATIONS.stage];
  while (digest && out.size < limit) {
    const stage = await store.read(digest).catch(() => undefined);
    const labels = stage?.config.config.Labels ?? {};
    const name = labels[LABELS.stage];
    if (!stage || !name) break;
    out.set(name, { id: "", repoDigests: [], repoTags: [], config: stage.config });
    digest = labels[LABELS.parent] || undefined;
  }
  return out;
}

/** The stages (name, digest) an `io.slipway.stages` annotation lists; undefined when absent or not that shape. */
function stagesListed(value: string | undefined): [string, string][] | undefined {
  if (!value) return undefined;
  try {
    const doc = JSON.parse(value) as unknown;
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return undefined;
    const entries = Object.entries(doc as Record<string, unknown>);
    return entries.every(([, d]) => typeof d === "string" && /^[0-9a-f]{64}$/.test(d)) ? (entries as [string, string][]) : undefined;
  } catch {
    return undefined;
  }
}
