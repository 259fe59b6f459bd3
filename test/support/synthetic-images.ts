/**
 * Publishes synthetic stages and final images in exactly the registry scheme of
 * src/build/names.ts, with the Registry client: small random (but real, gzipped tar)
 * layers, stage configs with the slipway labels and slipway.needs, final OCI manifests
 * with the io.slipway.* and created annotations. Stands in for the builder in cleanup
 * tests.
 */
import { createHash, randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { buildLayer, layerBytes, type LayerEntry } from "../../src/build/layer.ts";
import { ANNOTATIONS, LABELS, NEEDS_LABEL, stageTag } from "../../src/build/names.ts";
import { CACHE_VERSION } from "../../src/build/digest.ts";
import { finalRepository } from "../../src/cleanup/repos.ts";
import { MEDIA_TYPES, type Registry } from "../../src/registry/types.ts";
import { sha256Digest } from "../../src/registry/digest.ts";

export interface SyntheticStage {
  /** Stage digest (64 hex). */
  digest: string;
  /** Manifest digest of the stage tag. */
  manifestDigest: string;
  layers: Array<{ digest: string; size: number; diffId: string }>;
}

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** Layers made from a given file list, by list identity: a busybox root is built and gzipped once. */
const fixedLayers = new WeakMap<LayerEntry[], Promise<{ blob: Uint8Array; diffId: string }>>();

async function randomLayer(bytes: number, files?: LayerEntry[]): Promise<{ blob: Uint8Array; diffId: string }> {
  if (files && !fixedLayers.has(files)) fixedLayers.set(files, buildLayer(files).then(async (l) => ({ blob: gzipSync(await layerBytes(l)), diffId: l.diffId })));
  if (files) return fixedLayers.get(files)!;
  const layer = await buildLayer(files ?? [{ type: "file", path: `/data/${randomBytes(6).toString("hex")}`, mode: 0o644, uid: 0, gid: 0, content: randomBytes(bytes) }]);
  const tar = await layerBytes(layer);
  await layer.dispose();
  return { blob: gzipSync(tar), diffId: layer.diffId };
}

export interface StageSpec {
  project?: string;
  image?: string;
  /** Stage name (from, install, ...). */
  name: string;
  parent?: SyntheticStage;
  /** Other stages it is built from (fromImage base, import sources). */
  imports?: SyntheticStage[];
  /** Same key + same parent = same digest (how two branches share stages). Default: random. */
  key?: string;
  gitCommit?: string;
  layerBytes?: number;
  /** The stage's layer content instead of one random file (e.g. a busybox root, to run the image). */
  files?: LayerEntry[];
  /** Recorded as the manifest's io.slipway.published, as the builder does; default: not recorded. */
  published?: Date;
  /** The slipway.inputs label (the builder's input fingerprint, e.g. an ansible stage's ansibleToolchain). */
  inputs?: Record<string, string>;
}

export async function publishStage(registry: Registry, repo: string, spec: StageSpec): Promise<SyntheticStage> {
  const digest = createHash("sha256").update(`${spec.parent?.digest ?? ""}/${spec.name}/${spec.key ?? randomBytes(8).toString("hex")}`).digest("hex");
  const own = await randomLayer(spec.layerBytes ?? 256, spec.files);
  const ownDigest = sha256Digest(own.blob);
  await registry.pushBlob(repo, ownDigest, own.blob);
  const layers = [...(spec.parent?.layers ?? []), { digest: ownDigest, size: own.blob.byteLength, diffId: own.diffId }];
  const needs = [spec.parent?.digest, ...(spec.imports ?? []).map((s) => s.digest)].filter(Boolean).join(" ");
  const config = json({
    architecture: "amd64", os: "linux", created: "1970-01-01T00:00:00Z",
    config: { Labels: {
      [LABELS.project]: spec.project ?? "demo", [LABELS.image]: spec.image || "_", [LABELS.stage]: spec.name, [LABELS.digest]: digest,
      [LABELS.parent]: spec.parent?.digest ?? "", [LABELS.cacheVersion]: CACHE_VERSION, [NEEDS_LABEL]: needs,
      ...(spec.gitCommit && { [LABELS.gitCommit]: spec.gitCommit }),
      ...(spec.inputs && { [LABELS.inputs]: JSON.stringify(spec.inputs) }),
    } },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
  });
  const configDigest = sha256Digest(config);
  await registry.pushBlob(repo, configDigest, config);
  const manifest = json({
    schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: configDigest, size: config.byteLength },
    layers: layers.map((l) => ({ mediaType: MEDIA_TYPES.ociLayerGzip, digest: l.digest, size: l.size })),
    ...(spec.published && { annotations: { [ANNOTATIONS.published]: spec.published.toISOString() } }),
  });
  const manifestDigest = await registry.putManifest(repo, stageTag(digest), manifest, MEDIA_TYPES.ociManifest);
  return { digest, manifestDigest, layers };
}

/** A chain of stages, each on the previous; `keys` make digests shared between branches. */
export async function publishChain(registry: Registry, repo: string, names: Array<Omit<StageSpec, "parent">>, base?: SyntheticStage): Promise<SyntheticStage[]> {
  const out: SyntheticStage[] = [];
  let parent = base;
  for (const n of names) {
    parent = await publishStage(registry, repo, { ...n, parent });
    out.push(parent);
  }
  return out;
}

export interface ImageSpec {
  image: string;
  tag: string;
  last: SyntheticStage;
  created?: Date;
  project?: string;
}

/** The final image REPO[/image]:tag over the last stage's layers. Returns its repository and manifest digest. */
export async function publishImage(registry: Registry, repo: string, spec: ImageSpec): Promise<{ repository: string; digest: string }> {
  const repository = finalRepository(repo, spec.image);
  for (const l of spec.last.layers) {
    if (!(await registry.hasBlob(repository, l.digest))) await registry.pushBlob(repository, l.digest, await registry.getBlob(repo, l.digest), repo);
  }
  const config = json({ architecture: "amd64", os: "linux", created: "1970-01-01T00:00:00Z", config: { Cmd: ["sh"] }, rootfs: { type: "layers", diff_ids: spec.last.layers.map((l) => l.diffId) } });
  const configDigest = sha256Digest(config);
  await registry.pushBlob(repository, configDigest, config);
  const manifest = json({
    schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: configDigest, size: config.byteLength },
    layers: spec.last.layers.map((l) => ({ mediaType: MEDIA_TYPES.ociLayerGzip, digest: l.digest, size: l.size })),
    annotations: {
      [ANNOTATIONS.stage]: spec.last.digest, [ANNOTATIONS.project]: spec.project ?? "demo", [ANNOTATIONS.image]: spec.image,
      [ANNOTATIONS.created]: (spec.created ?? new Date()).toISOString(),
    },
  });
  const digest = await registry.putManifest(repository, spec.tag, manifest, MEDIA_TYPES.ociManifest);
  return { repository, digest };
}

/** Every blob (config and layers) of a manifest still GETs, and the manifest itself. Throws otherwise. */
export async function assertComplete(registry: Registry, repository: string, reference: string): Promise<void> {
  const m = await registry.getManifest(repository, reference);
  if (!m) throw new Error(`${repository}:${reference} is gone`);
  const body = JSON.parse(Buffer.from(m.body).toString("utf8")) as { config: { digest: string }; layers: Array<{ digest: string }> };
  for (const d of [body.config.digest, ...body.layers.map((l) => l.digest)]) await registry.getBlob(repository, d);
}
