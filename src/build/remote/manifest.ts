import { gzipSync } from "node:zlib";
import type { ImageConfigDocument } from "../../engine/types.ts";
import { sha256Digest } from "../../registry/index.ts";
import { MEDIA_TYPES, type Descriptor } from "../../registry/types.ts";
import type { Layer } from "../layer.ts";
import { RegistryError } from "../../errors.ts";

/** An image manifest (Docker v2 schema 2 or OCI): the registry as a data structure. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** A blob to upload with the manifest that references it. */
export interface Blob {
  digest: string;
  data: Uint8Array;
}

/** An image built in memory: the manifest, its config, and the blobs the registry may not have yet. */
export interface ImageDraft {
  manifest: ImageManifest;
  config: ImageConfigDocument;
  newBlobs: Blob[];
}

export function parseManifest(body: Uint8Array): ImageManifest {
  const doc = JSON.parse(new TextDecoder().decode(body)) as ImageManifest & { manifests?: unknown };
  if (doc.manifests || !doc.config || !Array.isArray(doc.layers)) throw new RegistryError("not an image manifest", undefined, "MANIFEST_INVALID");
  doc.mediaType ??= MEDIA_TYPES.ociManifest;
  return doc;
}

export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function isOci(m: ImageManifest): boolean {
  return m.mediaType === MEDIA_TYPES.ociManifest;
}

function configBlob(config: ImageConfigDocument, oci: boolean): { descriptor: Descriptor; blob: Blob } {
  const data = encodeJson(config);
  const digest = sha256Digest(data);
  return { descriptor: { mediaType: oci ? MEDIA_TYPES.ociConfig : MEDIA_TYPES.dockerConfig, digest, size: data.length }, blob: { digest, data } };
}

/** A new image: `base` with its config replaced (layers untouched). Pure. */
export function withConfig(base: ImageManifest, config: ImageConfigDocument): ImageDraft {
  const { descriptor, blob } = configBlob(config, isOci(base));
  return { manifest: { ...base, config: descriptor }, config, newBlobs: [blob] };
}

/**
 * A new image: `base` plus one layer (gzip-compressed here, deterministically),
 * with `config` (whose diff_ids must already end with the layer's diff id). Pure.
 */
export function appendLayer(base: ImageManifest, layer: Layer, config: ImageConfigDocument): ImageDraft {
  const gz = gzipSync(layer.tar, { level: 6 });
  const digest = sha256Digest(gz);
  const mediaType = isOci(base) ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.dockerLayer;
  const draft = withConfig({ ...base, layers: [...base.layers, { mediaType, digest, size: gz.length }] }, config);
  return { ...draft, newBlobs: [{ digest, data: gz }, ...draft.newBlobs] };
}

const OCI_LAYER: Record<string, string> = {
  [MEDIA_TYPES.dockerLayer]: MEDIA_TYPES.ociLayerGzip,
  "application/vnd.docker.image.rootfs.diff.tar": MEDIA_TYPES.ociLayer,
};

/**
 * The same manifest (same config and layer blobs) in OCI form with `annotations` added:
 * Docker's schema 2 has no annotations, so a Docker manifest becomes its OCI twin. Pure.
 */
export function withAnnotations(m: ImageManifest, annotations: Record<string, string>): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: isOci(m) ? m.config : { ...m.config, mediaType: MEDIA_TYPES.ociConfig },
    layers: m.layers.map((l) => ({ ...l, mediaType: OCI_LAYER[l.mediaType] ?? l.mediaType })),
    annotations: { ...m.annotations, ...annotations },
  };
}

/** The same image as an OCI manifest with annotations (for final images). Pure. */
export function asOciWithAnnotations(draft: ImageDraft, annotations: Record<string, string>): ImageDraft {
  const { descriptor, blob } = configBlob(draft.config, true);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: descriptor,
    layers: draft.manifest.layers.map((l) => ({ ...l, mediaType: OCI_LAYER[l.mediaType] ?? l.mediaType })),
    annotations,
  };
  return { manifest, config: draft.config, newBlobs: [blob] };
}
