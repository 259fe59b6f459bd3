import { configBlob, type ImageConfigDocument, type RuntimeConfig } from "./config.ts";
import { isOci, layerMediaType, ociLayers, type ImageManifest } from "./manifest.ts";
import { MEDIA_TYPES } from "./media.ts";

/*
 * Pure mutations, as go-containerregistry's mutate package: each takes an image (a
 * manifest with its config) and returns a new one, with the blobs the registry may not
 * have yet. Nothing here does I/O.
 */

/** A blob to upload with the manifest that references it. */
export interface Blob {
  digest: string;
  data: Uint8Array;
  /** data's length, when data is assembled only if read (a layer already uploaded as it was made). */
  size?: number;
  /** Made for this image alone (its config): the registry almost surely lacks it (see Registry.pushBlob's `unseen`). */
  unseen?: boolean;
}

/** An image built in memory: the manifest, its config, and the blobs the registry may not have yet. */
export interface ImageDraft {
  manifest: ImageManifest;
  config: ImageConfigDocument;
  newBlobs: Blob[];
}

/** A new image: `base` with its config replaced (layers untouched). */
export function withConfig(base: ImageManifest, config: ImageConfigDocument): ImageDraft {
  const { descriptor, data } = configBlob(config, isOci(base));
  return { manifest: { ...base, config: descriptor }, config, newBlobs: [{ digest: descriptor.digest, data, unseen: true }] };
}

/**
 * A new image: `base` plus one gzip-compressed layer (see gzipLayer), with `config`
 * (whose diff_ids must already end with the layer's diff id).
 */
export function appendLayer(base: ImageManifest, gz: Blob, config: ImageConfigDocument): ImageDraft {
  const layer = { mediaType: layerMediaType(base), digest: gz.digest, size: gz.size ?? gz.data.byteLength };
  const draft = withConfig({ ...base, layers: [...base.layers, layer] }, config);
  return { ...draft, newBlobs: [gz, ...draft.newBlobs] };
}

/**
 * The same manifest (same config and layer blobs) in OCI form with `annotations` added:
 * Docker's schema 2 has no annotations, so a Docker manifest becomes its OCI twin.
 */
export function withAnnotations(m: ImageManifest, annotations: Record<string, string>): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: isOci(m) ? m.config : { ...m.config, mediaType: MEDIA_TYPES.ociConfig },
    layers: ociLayers(m.layers),
    annotations: { ...m.annotations, ...annotations },
  };
}

/** The same image as an OCI manifest with exactly `annotations` (for final images). */
export function asOciWithAnnotations(draft: ImageDraft, annotations: Record<string, string>): ImageDraft {
  const { descriptor, data } = configBlob(draft.config, true);
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: descriptor, layers: ociLayers(draft.manifest.layers), annotations };
  return { manifest, config: draft.config, newBlobs: [{ digest: descriptor.digest, data }] };
}

/** A config with one more layer (its diff id) on top. */
export function appendDiffId(config: ImageConfigDocument, diffId: string): ImageConfigDocument {
  return { ...config, rootfs: { type: "layers", diff_ids: [...config.rootfs.diff_ids, diffId] } };
}

/** A config with another runtime config (User, Env, Cmd, ...). */
export function setRuntime(config: ImageConfigDocument, runtime: RuntimeConfig): ImageConfigDocument {
  return { ...config, config: runtime };
}

/** A config with another creation time (stages use the epoch, so they are the same on every node). */
export function setCreated(config: ImageConfigDocument, created: string): ImageConfigDocument {
  return { ...config, created };
}
