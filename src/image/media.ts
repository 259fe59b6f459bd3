/** Media types of the two manifest formats slipway reads and writes (Docker v2 schema 2 and OCI). */
export const MEDIA_TYPES = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

/** What a manifest says of a blob (config or layer) or of a child manifest. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** The OCI twin of each Docker layer media type (same bytes, other name). */
export const OCI_LAYER: Record<string, string> = {
  [MEDIA_TYPES.dockerLayer]: MEDIA_TYPES.ociLayerGzip,
  "application/vnd.docker.image.rootfs.diff.tar": MEDIA_TYPES.ociLayer,
};
