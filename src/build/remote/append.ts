import { RegistryError } from "../../errors.ts";
import { normaliseRuntimeConfig } from "../../image/config.ts";
import type { ImageConfigDocument } from "../../engine/types.ts";
import { parseImageRef } from "../../registry/index.ts";
import type { Registry } from "../../registry/types.ts";
import { cleanConfig, stageDocument, type StageLabels } from "../local.ts";
import { gzipLayer, MAX_COMPRESSED_IN_MEMORY, type Layer } from "../layer.ts";
import type { PlannedStage } from "../plan.ts";
import type { StageChange } from "../stage.ts";
import { ownerResolver } from "../stages/owners.ts";
import { SCRATCH, SCRATCH_CONFIG, SCRATCH_MANIFEST } from "../scratch.ts";
import { appendLayer, parseManifest, withConfig, type ImageDraft, type ImageManifest } from "../../image/index.ts";
import { indexTar, UnreadableLayer, type LayerIndex } from "../layer-index.ts";
import { annotated, KnownPaths } from "./known-paths.ts";
import type { BorrowedBlob, RegistryStageStore } from "./store.ts";

/**
 * Raised inside, where a file stage finds it needs the parent's filesystem (named
 * owners, paths to look at); remoteStage turns it into its result.
 */
class NeedsEngine extends Error {}

/** A stage made in the registry (the draft to publish), or why only the engine can make it. */
export type RemoteOutcome =
  | { made: true; draft: ImageDraft; borrowed: BorrowedBlob[]; layer?: Layer; bytesPulled?: number }
  | { made: false; needsEngine: string };

/** Numeric owners resolve as on the engine; a name needs the parent's /etc/passwd, so the engine. */
const numericOnly = (image: string, stage: string) =>
  ownerResolver(async () => {
    throw new NeedsEngine("a named owner needs the parent image's /etc/passwd");
  }, { image, stage });

export interface RemoteContext {
  store: RegistryStageStore;
  /** Registry clients for other hosts (base images elsewhere). */
  registryFor(host: string): Registry;
  /** Layer indexes this build knows or read: a file stage looks at its parent's filesystem through them (./known-paths.ts). */
  known?: KnownPaths;
  /**
   * The indexes of a base image's layers (bottom first, with their diff ids) read from the
   * engine's own copy, when the engine has it or is pulling it anyway; undefined otherwise.
   */
  engineIndexes?: (ref: string) => Promise<{ diffId: string; index: LayerIndex }[] | undefined>;
  /** The base image `ref` read once per build (readBaseImage), when the build shares its reads. */
  baseImage?: (ref: string) => Promise<BaseImage>;
}

/** A base image as its registry has it: a single-platform manifest and its config. */
export interface BaseImage {
  registry: Registry;
  repository: string;
  manifest: ImageManifest;
  config: ImageConfigDocument;
}

/** Reads the base image `ref` (pinned by digest) from the store's registry or its own host's. */
export async function readBaseImage(ctx: Pick<RemoteContext, "store" | "registryFor">, ref: string): Promise<BaseImage> {
  const parsed = parseImageRef(ref);
  const registry = parsed.registry === ctx.store.registry.host ? ctx.store.registry : ctx.registryFor(parsed.registry);
  const manifest = await baseManifest(registry, parsed.repository, parsed.digest as string);
  const config = await readJson<ImageConfigDocument>(registry, parsed.repository, manifest.config.digest);
  return { registry, repository: parsed.repository, manifest, config };
}

async function readJson<T>(registry: Registry, repo: string, digest: string): Promise<T> {
  return JSON.parse(new TextDecoder().decode(await registry.getBlob(repo, digest))) as T;
}

/** The base image's single-platform manifest: an index is narrowed to linux/amd64 (or its first entry). */
async function baseManifest(registry: Registry, repo: string, digest: string): Promise<ImageManifest> {
  const result = await registry.getManifest(repo, digest);
  if (!result) throw new RegistryError(`base image ${registry.host}/${repo}@${digest} is gone from its registry`, 404, "MANIFEST_UNKNOWN");
  const doc = JSON.parse(new TextDecoder().decode(result.body)) as { manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[] };
  if (!doc.manifests) return parseManifest(result.body);
  const pick = doc.manifests.find((m) => m.platform?.os === "linux" && m.platform?.architecture === "amd64") ?? doc.manifests[0];
  return baseManifest(registry, repo, pick.digest);
}

/**
 * Builds a stage in the registry, without a container or a layer download: a base
 * image re-labelled (its blobs mounted), a config change, or a file layer made in
 * Node and appended. Returns the draft and blobs borrowed from another repository, or
 * (never thrown) why the stage needs the engine: commands, a named owner, a path of the
 * parent's filesystem to look at, a layer too big to hold in memory.
 */
export async function remoteStage(
  ctx: RemoteContext, stage: PlannedStage, change: StageChange, meta: StageLabels, opts: { keepLayer?: boolean } = {},
): Promise<RemoteOutcome> {
  try {
    return { made: true, ...(await makeInRegistry(ctx, stage, change, meta, opts)) };
  } catch (err) {
    if (err instanceof NeedsEngine) return { made: false, needsEngine: err.message };
    throw err;
  }
}

async function makeInRegistry(
  ctx: RemoteContext, stage: PlannedStage, change: StageChange, meta: StageLabels, opts: { keepLayer?: boolean },
): Promise<{ draft: ImageDraft; borrowed: BorrowedBlob[]; layer?: Layer; bytesPulled?: number }> {
  if (change.kind === "base" && change.ref === SCRATCH) {
    return { draft: withConfig(SCRATCH_MANIFEST, stageDocument(SCRATCH_CONFIG, SCRATCH_CONFIG.config, [], stage, meta)), borrowed: [] };
  }
  if (change.kind === "base") {
    if (change.local) {
      // fromImage: the other image's last stage, under this stage's labels.
      const parentDigest = stage.stage.needs?.()[0] as string;
      const parent = await ctx.store.read(parentDigest);
      const runtime = cleanConfig(normaliseRuntimeConfig(parent.config.config as Record<string, unknown>));
      return { draft: withConfig(parent.manifest, stageDocument(parent.config, runtime, parent.config.rootfs.diff_ids, stage, meta)), borrowed: [] };
    }
    const { registry, repository, manifest, config } = await (ctx.baseImage ?? ((r: string) => readBaseImage(ctx, r)))(change.ref);
    const runtime = cleanConfig(normaliseRuntimeConfig(config.config as unknown as Record<string, unknown>));
    const sameHost = registry === ctx.store.registry;
    const borrowed = manifest.layers.map((l) => ({
      digest: l.digest,
      fetch: () => registry.getBlob(repository, l.digest),
      mountFrom: sameHost ? repository : undefined,
    }));
    const draft = withConfig(manifest, stageDocument(config, runtime, config.rootfs.diff_ids, stage, meta));
    if (!change.indexFiles) return { draft, borrowed };
    // A Dockerfile's base: its layers indexed once, now, so no later file stage on it downloads them.
    // (The store's registry counts what it sends; another host's bytes are counted here.)
    let bytesPulled = 0;
    const known = ctx.known ?? new KnownPaths();
    // The engine pulls the same base for a RUN: its unpacked layers are read, not downloaded a second time.
    const local = await ctx.engineIndexes?.(change.ref).catch(() => undefined);
    if (local && local.length === config.rootfs.diff_ids.length && local.every((l, i) => l.diffId === config.rootfs.diff_ids[i])) {
      for (const l of local) known.remember(l.diffId, l.index);
      return { draft: await annotated(known, draft), borrowed, bytesPulled };
    }
    // One that cannot be indexed (zstd) is left out: a file stage on it then goes to the engine.
    await known.indexAll(manifest, config.rootfs.diff_ids, (digest) => registry.readBlob(repository, digest), (n) => (bytesPulled += sameHost ? 0 : n)).catch((err: unknown) => {
      if (!(err instanceof UnreadableLayer)) throw err;
    });
    return { draft: await annotated(known, draft), borrowed, bytesPulled };
  }
  if (change.kind === "run") throw new NeedsEngine("commands need a container");
  const parent = await ctx.store.read(stage.parent as string);
  const runtime = cleanConfig(normaliseRuntimeConfig(parent.config.config as unknown as Record<string, unknown>));
  const known = ctx.known ?? new KnownPaths();
  if (change.kind === "config") {
    const doc = stageDocument(parent.config, change.apply(runtime), parent.config.rootfs.diff_ids, stage, meta);
    return { draft: withConfig(parent.manifest, doc), borrowed: [] };
  }
  // The parent's files as its layer indexes tell (a layer without one is downloaded and
  // indexed; the store's registry counts those bytes).
  const { registry, repository } = ctx.store;
  const indexed = known.stat(parent.manifest, parent.config.rootfs.diff_ids, (digest) => registry.readBlob(repository, digest), () => undefined);
  const stat = async (path: string) => indexed(path).catch((err: unknown) => {
    throw err instanceof UnreadableLayer ? new NeedsEngine(err.message) : err;
  });
  const layer = await change.layer(numericOnly(meta.image, stage.name), parent.config.config.Labels ?? {}, runtime, stat);
  const applied = change.apply ? change.apply(runtime) : runtime;
  // A werf-view git patch with nothing to change adds no layer: the stage is a new config.
  if (!layer) return { draft: withConfig(parent.manifest, stageDocument(parent.config, applied, parent.config.rootfs.diff_ids, stage, meta)), borrowed: [] };
  let kept = false;
  try {
    const doc = stageDocument(parent.config, applied, [...parent.config.rootfs.diff_ids, layer.diffId], stage, meta);
    // Compressed and indexed side by side (two reads of the tar).
    const [gz, index] = await Promise.all([gzipLayer(layer), indexTar(layer.open())]);
    // Held in memory until uploaded: a layer that compresses to more goes to the engine, which streams it.
    if (!gz) throw new NeedsEngine(`the layer compresses to more than ${MAX_COMPRESSED_IN_MEMORY / 2 ** 20} MiB`);
    known.remember(layer.diffId, index);
    const draft = await annotated(known, appendLayer(parent.manifest, gz, doc));
    kept = opts.keepLayer === true;
    // keepLayer: the caller loads the same tar into the engine, then disposes of it.
    return { draft, borrowed: [], ...(kept ? { layer } : {}) };
  } finally {
    if (!kept) await layer.dispose();
  }
}
