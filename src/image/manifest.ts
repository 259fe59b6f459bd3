import { RegistryError } from "../errors.ts";
import { MEDIA_TYPES, OCI_LAYER, type Descriptor } from "./media.ts";

/** An image manifest (Docker v2 schema 2 or OCI): the registry as a data structure. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** An image manifest from its bytes; an index (or anything else) is refused. A manifest without mediaType is OCI. */
export function parseManifest(body: Uint8Array): ImageManifest {
  const doc = JSON.parse(new TextDecoder().decode(body)) as ImageManifest & { manifests?: unknown };
  if (doc.manifests || !doc.config || !Array.isArray(doc.layers)) throw new RegistryError("not an image manifest", undefined, "MANIFEST_INVALID");
  doc.mediaType ??= MEDIA_TYPES.ociManifest;
  return doc;
}

/** Compact JSON, as slipway writes manifests: their digests are of exactly these bytes. */
export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

export function isOci(m: ImageManifest): boolean {
  return m.mediaType === MEDIA_TYPES.ociManifest;
}

/** The media type of a gzip layer in a manifest of `m`'s format. */
export function layerMediaType(m: ImageManifest): string {
  return isOci(m) ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.dockerLayer;
}

/** Layer descriptors under their OCI media types (the same blobs). */
export function ociLayers(layers: Descriptor[]): Descriptor[] {
  return layers.map((l) => ({ ...l, mediaType: OCI_LAYER[l.mediaType] ?? l.mediaType }));
}
