/**
 * Dependency caches in the stages repository (tag scheme in ./tag.ts). A save writes
 * the layer blob and the config blob first, then the manifest under the ref's cache tag:
 * a reader only ever finds a tag naming complete blobs, and of two nodes saving at once
 * the last complete write wins. The node keeps, beside each directory, which manifest
 * it holds, so a node that already has the content downloads nothing.
 */
import { createHash } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import type { Registry } from "../registry/types.ts";
import { MEDIA_TYPES } from "../registry/types.ts";
import { clearDirectory, packDirectory, unpackInto } from "./archive.ts";
import { EMPTY_FINGERPRINT, fingerprint } from "./fingerprint.ts";
import { lookupRefs, type CacheScope } from "./scope.ts";
import { CACHE_ANNOTATIONS, cacheTag } from "./tag.ts";
import type { CacheRestore, CacheSave, DependencyCache } from "./types.ts";

export interface RegistryCacheOptions {
  registry: Registry;
  repository: string;
  project: string;
  scope: CacheScope;
  /** Largest cache (bytes of file content) that is saved; larger ones are skipped with a warning. */
  maxBytes: number;
  now?: () => Date;
}

interface NodeState {
  manifest: string;
  fingerprint: string;
}

interface CacheManifest {
  layers: Array<{ digest: string; size: number; mediaType: string }>;
  annotations?: Record<string, string>;
}

const stateFile = (dir: string) => `${dir}.slipway-cache.json`;

async function readState(dir: string): Promise<NodeState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(dir), "utf8")) as NodeState;
  } catch {
    return undefined;
  }
}

async function writeState(dir: string, state: NodeState): Promise<void> {
  await writeFile(`${stateFile(dir)}.tmp`, JSON.stringify(state));
  await rename(`${stateFile(dir)}.tmp`, stateFile(dir));
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) (v /= 1024), i++;
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export class RegistryDependencyCache implements DependencyCache {
  constructor(private readonly o: RegistryCacheOptions) {}

  tag(id: string, ref: string): string {
    return cacheTag(this.o.project, id, ref);
  }

  async restore(id: string, dir: string): Promise<CacheRestore> {
    const { registry, repository } = this.o;
    try {
      const refs = lookupRefs(this.o.scope);
      const found = await registry.findTags(repository, refs.map((r) => this.tag(id, r)));
      const ref = refs.find((r) => found.has(this.tag(id, r)));
      if (ref === undefined) return { bytes: 0, from: "none", fingerprint: EMPTY_FINGERPRINT, warnings: [] };
      const digest = found.get(this.tag(id, ref))!.digest;
      const state = await readState(dir);
      if (state?.manifest === digest) {
        const now = await fingerprint(dir);
        if (now.digest === state.fingerprint) return { bytes: 0, from: "node", ref, fingerprint: now.digest, warnings: [] };
      }
      return await this.download(id, dir, ref, digest);
    } catch (err) {
      // A cache that cannot be read is no cache: the stage runs without it, from an empty directory.
      await clearDirectory(dir).catch(() => undefined);
      return { bytes: 0, from: "none", fingerprint: EMPTY_FINGERPRINT, warnings: [`cache ${id}: not restored (${message(err)})`] };
    }
  }

  private async download(id: string, dir: string, ref: string, digest: string): Promise<CacheRestore> {
    const { registry, repository } = this.o;
    const got = await registry.getManifest(repository, digest);
    // Deleted between the lookup and the read (a cleanup): start empty.
    if (!got) return { bytes: 0, from: "none", fingerprint: EMPTY_FINGERPRINT, warnings: [`cache ${id}: gone while it was being restored`] };
    const manifest = JSON.parse(Buffer.from(got.body).toString("utf8")) as CacheManifest;
    await clearDirectory(dir);
    let bytes = 0;
    for (const layer of manifest.layers) {
      await unpackInto(dir, await registry.getBlobStream(repository, layer.digest));
      bytes += layer.size;
    }
    const now = await fingerprint(dir);
    await writeState(dir, { manifest: digest, fingerprint: now.digest });
    return { bytes, from: "registry", ref, fingerprint: now.digest, warnings: [] };
  }

  async save(id: string, dir: string, restored: CacheRestore, options: { readOnly?: boolean } = {}): Promise<CacheSave> {
    if (options.readOnly) return { bytes: 0, outcome: "read-only", warnings: [] };
    try {
      const now = await fingerprint(dir);
      if (now.digest === restored.fingerprint) return { bytes: 0, outcome: "unchanged", warnings: [] };
      if (now.bytes > this.o.maxBytes) {
        return { bytes: 0, outcome: "too-large", warnings: [`cache ${id}: ${formatBytes(now.bytes)} is over the cache size limit (${formatBytes(this.o.maxBytes)}): not saved`] };
      }
      return await this.upload(id, dir, now.digest, now.bytes);
    } catch (err) {
      return { bytes: 0, outcome: "failed", warnings: [`cache ${id}: not saved (${message(err)})`] };
    }
  }

  private async upload(id: string, dir: string, print: string, size: number): Promise<CacheSave> {
    const { registry, repository, scope } = this.o;
    const layer = await packDirectory(dir);
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [layer.diffId] } }));
    const configDigest = `sha256:${createHash("sha256").update(config).digest("hex")}`;
    let bytes = 0;
    // Blobs first: the tag below must only ever name complete content.
    if ((await registry.pushBlob(repository, layer.digest, layer.data)).uploaded) bytes += layer.data.length;
    if ((await registry.pushBlob(repository, configDigest, config)).uploaded) bytes += config.length;
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: configDigest, size: config.length },
      layers: [{ mediaType: MEDIA_TYPES.ociLayerGzip, digest: layer.digest, size: layer.data.length }],
      annotations: {
        [CACHE_ANNOTATIONS.project]: this.o.project,
        [CACHE_ANNOTATIONS.id]: id,
        // The ref makes each scope's manifest its own: deleting one by digest never takes another's tag.
        [CACHE_ANNOTATIONS.ref]: scope.ref,
        [CACHE_ANNOTATIONS.fingerprint]: print,
        [CACHE_ANNOTATIONS.size]: String(size),
        [CACHE_ANNOTATIONS.created]: (this.o.now?.() ?? new Date()).toISOString(),
      },
    };
    const body = Buffer.from(JSON.stringify(manifest));
    const digest = await registry.putManifest(repository, this.tag(id, scope.ref), body, MEDIA_TYPES.ociManifest);
    await writeState(dir, { manifest: digest, fingerprint: print });
    return { bytes, outcome: "saved", warnings: [] };
  }
}
