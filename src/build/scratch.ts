import type { ImageConfigDocument } from "../image/index.ts";
import { MEDIA_TYPES } from "../registry/types.ts";
import type { ImageManifest } from "../image/manifest.ts";

/** Dockerfile's `FROM scratch`: no base image at all, an empty filesystem. */
export const SCRATCH = "scratch";

/** BuildKit's empty image: the default PATH and WORKDIR / are set. */
export const SCRATCH_CONFIG: ImageConfigDocument = {
  architecture: "amd64",
  os: "linux",
  config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], WorkingDir: "/" },
  rootfs: { type: "layers", diff_ids: [] },
};

/** A manifest with no layers, for a stage to replace the config of. */
export const SCRATCH_MANIFEST: ImageManifest = {
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociManifest,
  config: { mediaType: MEDIA_TYPES.ociConfig, digest: "sha256:", size: 0 },
  layers: [],
};
