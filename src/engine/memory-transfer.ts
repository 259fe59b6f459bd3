import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { EngineError, RegistryError } from "../errors.ts";
import { parseImageRef } from "../registry/ref.ts";
import { MEDIA_TYPES } from "../image/media.ts";
import type { Registry } from "../registry/types.ts";
import { parseConfig, type ImageConfigDocument } from "../image/config.ts";

/** What pulls and pushes need of the in-memory engine's store. */
export interface TransferStore {
  hasLayer(diffId: string): boolean;
  layer(diffId: string): Buffer | undefined;
  addLayer(diffId: string, tar: Buffer): void;
  /** Stores the config bytes as pulled; tags it when `tag` is given. Returns the image id. */
  addImage(raw: Buffer, tag: string | undefined, repoDigest: string): string;
  image(ref: string): { raw: Buffer; doc: ImageConfigDocument } | undefined;
  addRepoDigest(ref: string, repoDigest: string): void;
}

const sha256 = (data: Uint8Array) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

/** Registry errors become engine errors with the same status, as the Docker engine answers. */
async function asEngineError<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof EngineError) throw err;
    const status = err instanceof RegistryError ? err.status : undefined;
    throw new EngineError(`${what}: ${(err as Error).message}`, status, { cause: err });
  }
}

interface Manifest {
  mediaType?: string;
  config: { digest: string };
  layers: { digest: string; size: number; mediaType: string }[];
  manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[];
}

async function imageManifest(registry: Registry, repo: string, reference: string, what: string): Promise<{ digest: string; m: Manifest }> {
  const got = await registry.getManifest(repo, reference);
  if (!got) throw new EngineError(`${what}: manifest unknown`, 404);
  const m = JSON.parse(Buffer.from(got.body).toString("utf8")) as Manifest;
  if (!m.manifests) return { digest: got.digest, m };
  const pick = m.manifests.find((e) => e.platform?.os === "linux" && e.platform?.architecture === "amd64") ?? m.manifests[0];
  return { digest: got.digest, m: (await imageManifest(registry, repo, pick.digest, what)).m };
}

/** `docker pull`: the layers the store lacks are downloaded (their compressed bytes counted), the rest cost nothing. */
export async function pullImage(store: TransferStore, registryFor: (host: string) => Registry | undefined, ref: string): Promise<{ bytes: number }> {
  const what = `pulling ${ref}`;
  return asEngineError(what, async () => {
    const r = parseImageRef(ref);
    const registry = registryFor(r.registry);
    if (!registry) throw new EngineError(`${what}: no route to registry ${r.registry}`, 500);
    const { digest, m } = await imageManifest(registry, r.repository, r.digest ?? r.tag ?? "latest", what);
    const raw = Buffer.from(await registry.getBlob(r.repository, m.config.digest));
    const doc = parseConfig(raw);
    let bytes = 0;
    for (const [i, diffId] of doc.rootfs.diff_ids.entries()) {
      if (store.hasLayer(diffId)) continue;
      const blob = Buffer.from(await registry.getBlob(r.repository, m.layers[i].digest));
      const tar = m.layers[i].mediaType.endsWith("gzip") ? gunzipSync(blob) : blob;
      if (sha256(tar) !== diffId) throw new EngineError(`${what}: layer ${m.layers[i].digest} does not match diff id ${diffId}`, 500);
      store.addLayer(diffId, tar);
      bytes += blob.length;
    }
    const repoDigest = `${r.registry}/${r.repository}@${digest}`;
    store.addImage(raw, r.digest ? undefined : `${r.registry}/${r.repository}:${r.tag ?? "latest"}`, repoDigest);
    return { bytes };
  });
}

/** `docker push`: a Docker v2 schema 2 manifest over gzip layers; `uploaded` names the layers whose bytes were sent. */
export async function pushImage(store: TransferStore, registryFor: (host: string) => Registry | undefined, ref: string): Promise<{ digest?: string; uploaded: string[] }> {
  const what = `pushing ${ref}`;
  return asEngineError(what, async () => {
    const image = store.image(ref);
    if (!image) throw new EngineError(`${what}: an image does not exist locally with the tag`, 404);
    const r = parseImageRef(ref);
    const registry = registryFor(r.registry);
    if (!registry) throw new EngineError(`${what}: no route to registry ${r.registry}`, 500);
    const uploaded: string[] = [];
    const layers = [];
    for (const diffId of image.doc.rootfs.diff_ids) {
      const gz = gzipSync(store.layer(diffId) as Buffer, { level: 6 });
      const digest = sha256(gz);
      if ((await registry.pushBlob(r.repository, digest, gz)).uploaded) uploaded.push(diffId.slice(7, 19));
      layers.push({ mediaType: MEDIA_TYPES.dockerLayer, size: gz.length, digest });
    }
    const configDigest = sha256(image.raw);
    await registry.pushBlob(r.repository, configDigest, image.raw);
    const manifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifest, config: { mediaType: MEDIA_TYPES.dockerConfig, size: image.raw.length, digest: configDigest }, layers };
    const digest = await registry.putManifest(r.repository, r.tag ?? "latest", Buffer.from(JSON.stringify(manifest, null, 3)), MEDIA_TYPES.dockerManifest);
    store.addRepoDigest(ref, `${r.registry}/${r.repository}@${digest}`);
    return { digest, uploaded };
  });
}
