import pLimit from "p-limit";
import { RegistryError } from "../errors.ts";
import { manifestReferences } from "./manifest.ts";
import type { ManifestResult, Registry } from "./types.ts";

export interface CopyImageOptions {
  /** Repository the manifest and its blobs are in now. */
  from: string;
  /** Repository to make it available in (may equal `from`: then only tags are written). */
  to: string;
  manifest: ManifestResult;
  /** Tags to write in `to`. With none, the manifest is stored by digest only. */
  tags: string[];
}

const BLOB_CONCURRENCY = 4;

/**
 * Makes an image that is already in the registry available in another repository
 * without moving bytes where the registry allows it: every blob is mounted
 * (downloaded and uploaded only if the registry refuses the mount), an index's
 * child manifests are copied by digest first, and tags are written last, so no
 * tag ever points at an incomplete image.
 */
export async function copyImage(reg: Registry, opts: CopyImageOptions): Promise<void> {
  if (opts.from !== opts.to) await copyContent(reg, opts.from, opts.to, opts.manifest);
  for (const tag of opts.tags) await reg.tagManifest(opts.to, tag, opts.manifest);
  if (opts.tags.length === 0 && opts.from !== opts.to) {
    await reg.putManifest(opts.to, opts.manifest.digest, opts.manifest.body, opts.manifest.mediaType);
  }
}

async function copyContent(reg: Registry, from: string, to: string, manifest: ManifestResult): Promise<void> {
  const refs = manifestReferences(manifest.body);
  for (const child of refs.manifests) {
    if (await reg.headManifest(to, child)) continue;
    const m = await reg.getManifest(from, child);
    if (!m) throw new RegistryError(`copy ${from} -> ${to}: child manifest ${child} is missing`, 404, "MANIFEST_UNKNOWN");
    await copyContent(reg, from, to, m);
    await reg.putManifest(to, child, m.body, m.mediaType);
  }
  const limit = pLimit(BLOB_CONCURRENCY);
  try {
    await Promise.all([...new Set(refs.blobs)].map((digest) => limit(() => reg.pushBlob(to, digest, () => reg.getBlob(from, digest), from))));
  } finally {
    // After a failure, start no more uploads; the copy as a whole is retried or reported.
    limit.clearQueue();
  }
}
