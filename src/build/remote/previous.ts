import type { LocalImage } from "../../engine/types.ts";
import { ANNOTATIONS, imageRepository, LABELS } from "../names.ts";
import { parseManifest } from "../../image/index.ts";
import type { RegistryStageStore } from "./store.ts";

/**
 * The stages of the image a tag names now (its last stage, then parents through the
 * `slipway.parent` labels), by stage name: on a fresh node the nearest earlier build
 * to explain a rebuild against. Costs one manifest and a few small config reads, and
 * only runs when a stage must be built.
 */
export async function previousStages(store: RegistryStageStore, image: string, tag: string, limit = 32): Promise<Map<string, LocalImage>> {
  const out = new Map<string, LocalImage>();
  const found = await store.registry.getManifest(imageRepository(store.repository, image), tag).catch(() => undefined);
  let digest = found ? parseManifest(found.body).annotations?.[ANNOTATIONS.stage] : undefined;
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
