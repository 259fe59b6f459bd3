import pLimit from "p-limit";
import { normaliseRuntimeConfig } from "../../image/config.ts";
import { cleanConfig } from "../local.ts";
import { ANNOTATIONS, imageRepository } from "../names.ts";
import type { ImagePlan } from "../plan.ts";
import { asOciWithAnnotations, encodeJson, withConfig } from "../../image/index.ts";
import type { RegistryStageStore } from "./store.ts";


/**
 * Writes an image's tags from the manifest of its last stage: a clean config (no
 * slipway labels) and an OCI manifest over the same layers, annotated with the
 * stage digest for cleanup (and every stage's, for explanations). Layers are mounted across repositories, never
 * downloaded; the only bytes are the new config and manifest.
 */
export async function publishFinalImage(
  store: RegistryStageStore, image: ImagePlan, tags: string[], project: string, created: string, opts: { rebuilt?: boolean; before?: Promise<unknown> } = {},
): Promise<{ ref: string; manifestDigest: string }> {
  const last = await store.read(image.digest);
  const runtime = cleanConfig(normaliseRuntimeConfig(last.config.config as unknown as Record<string, unknown>));
  const config = { ...last.config, config: runtime };
  const draft = asOciWithAnnotations(withConfig(last.manifest, config), {
    [ANNOTATIONS.stage]: image.digest,
    [ANNOTATIONS.project]: project,
    [ANNOTATIONS.image]: image.image.name,
    // The commit's time, not the clock's: the same commit always gives the same manifest
    // digest, so a no-change pipeline does not trigger a redeploy.
    [ANNOTATIONS.created]: created,
    [ANNOTATIONS.stages]: JSON.stringify(Object.fromEntries(image.stages.map((s) => [s.name, s.digest]))),
  });
  const repository = imageRepository(store.repository, image.image.name);
  const registry = store.registry;
  const limit = pLimit(8);
  // The new config goes up while the layers are looked up: the manifest waits for both.
  // `rebuilt`: a stage was made, so the config is new (sent with the lookup, see pushBlob);
  // else it is most likely the one the last build wrote (asked for first, sent only if not).
  const configs = Promise.all(draft.newBlobs.map((blob) => limit(() => registry.pushBlob(repository, blob.digest, opts.rebuilt ? blob.data : async () => blob.data, undefined, { unseen: opts.rebuilt && blob.unseen }))));
  const layers = (async () => {
    if (repository === store.repository) return;
    // Mounted from the stages repository: only once the stages' blobs are there.
    await opts.before;
    // Which layers the image's repository has, asked side by side (after the first build,
    // most); the others mounted one after another, as a registry that cannot mount has
    // each copied through memory.
    const present = await Promise.all(draft.manifest.layers.map((layer) => limit(() => registry.hasBlob(repository, layer.digest))));
    for (const [i, layer] of draft.manifest.layers.entries()) {
      if (!present[i]) await registry.pushBlob(repository, layer.digest, () => registry.getBlob(store.repository, layer.digest), store.repository);
    }
  })();
  const [pushed, mounted] = await Promise.allSettled([configs, layers]);
  if (pushed.status === "rejected") throw pushed.reason;
  if (mounted.status === "rejected") throw mounted.reason;
  // `before`: the stages still uploading (their blobs are this manifest's); a failure there writes no tag.
  if (opts.before) {
    await opts.before;
    // Another node published the last stage first (ours was dropped): the image is made on theirs.
    if ((await store.read(image.digest)).result.digest !== last.result.digest) return publishFinalImage(store, image, tags, project, created, { rebuilt: opts.rebuilt });
  }
  const body = encodeJson(draft.manifest);
  const manifestDigest = await registry.putManifest(repository, tags[0], body, draft.manifest.mediaType);
  const manifest = { digest: manifestDigest, mediaType: draft.manifest.mediaType, body };
  await Promise.all(tags.slice(1).map((tag) => limit(() => registry.tagManifest(repository, tag, manifest))));
  return { ref: `${registry.host}/${repository}:${tags[0]}`, manifestDigest };
}
