import type { ImageConfigDocument } from "../../image/index.ts";
import { RegistryError } from "../../errors.ts";
import type { ManifestResult, Registry } from "../../registry/types.ts";
import { ANNOTATIONS, stageTag } from "../names.ts";
import { sha256Digest } from "../../registry/digest.ts";
import { encodeJson, parseManifest, withAnnotations, type ImageDraft, type ImageManifest } from "../../image/index.ts";

/**
 * A stage the build counted on is not in the registry (any more): a cleanup deleted it
 * while the build ran. The build makes or republishes it (see ./repair.ts).
 */
export class StageGoneError extends RegistryError {
  constructor(readonly digest: string, where: string) {
    super(`stage ${digest} is not in ${where}`, 404, "MANIFEST_UNKNOWN");
  }
}

/** A blob the draft references that lives in another repository. */
export interface BorrowedBlob {
  digest: string;
  fetch: () => Promise<Uint8Array>;
  /** Repository on the same registry to mount from. */
  mountFrom?: string;
}

export interface StoredStage {
  manifest: ImageManifest;
  result: ManifestResult;
  config: ImageConfigDocument;
}

/**
 * Stages in a registry repository under `stage-<digest>` tags. Tags are never
 * moved: `publish` is create-if-absent, and reports when another node won.
 */
export class RegistryStageStore {
  readonly #stages = new Map<string, StoredStage>();
  /**
   * Stages being published now: what their tag will name (a stage made on one reads it at
   * once, see `read`), and when their blobs (and those below) are in, which a stage made
   * on one waits for before it writes its own tag.
   */
  readonly #publishing = new Map<string, { stage: StoredStage; blobsIn: Promise<unknown>; done: Promise<unknown> }>();
  /** Manifests the build's lookup fetched (findMany with `read`), by digest. */
  readonly #looked = new Map<string, ManifestResult>();
  /** Uploads that failed, by digest: a stage made from such a draft must fail too, however late it publishes. */
  readonly #failedBlobs = new Map<string, Promise<unknown>>();

  constructor(readonly registry: Registry, readonly repository: string, readonly now: () => Date = () => new Date()) {}

  /** `host/repository:stage-<digest>`, a reference the Docker engine can pull. */
  ref(digest: string): string {
    return `${this.registry.host}/${this.repository}:${stageTag(digest)}`;
  }

  /**
   * The digests among `digests` that the registry has: one batched lookup. `read`: their
   * manifests are fetched by the lookup (the same round trip) and kept, so a stage built
   * on one of them next reads only its parent's config.
   */
  async findMany(digests: string[], opts: { read?: boolean } = {}): Promise<Set<string>> {
    const found = await this.registry.findTags(this.repository, digests.map(stageTag), { manifests: opts.read });
    for (const d of digests) {
      const manifest = found.get(stageTag(d))?.manifest;
      if (manifest) this.#looked.set(d, manifest);
    }
    return new Set(digests.filter((d) => found.has(stageTag(d))));
  }

  async has(digest: string): Promise<boolean> {
    return (await this.registry.headManifest(this.repository, stageTag(digest))) !== undefined;
  }

  /** The manifest of a stored stage (one small request): layer digests and compressed sizes. */
  async manifest(digest: string): Promise<ImageManifest> {
    const cached = this.#publishing.get(digest)?.stage ?? this.#stages.get(digest);
    if (cached) return cached.manifest;
    return parseManifest((await this.#get(digest)).body);
  }

  async #get(digest: string): Promise<ManifestResult> {
    const looked = this.#looked.get(digest);
    if (looked) return looked;
    const result = await this.registry.getManifest(this.repository, stageTag(digest));
    if (!result) throw new StageGoneError(digest, `${this.registry.host}/${this.repository}`);
    return result;
  }

  /** Forgets what was read of a stage: it turned out to be gone, and will be made again. */
  forget(digest: string): void {
    this.#looked.delete(digest);
    this.#stages.delete(digest);
    this.#publishing.delete(digest);
  }

  /** Manifest and config of a stored stage (two small requests, cached): never a layer. */
  async read(digest: string): Promise<StoredStage> {
    const cached = this.#publishing.get(digest)?.stage ?? this.#stages.get(digest);
    if (cached) return cached;
    const result = await this.#get(digest);
    const manifest = parseManifest(result.body);
    const blob = await this.registry.getBlob(this.repository, manifest.config.digest).catch((err: unknown) => {
      // A tag whose config blob is gone (garbage-collected under it) is no stage either.
      throw err instanceof RegistryError && err.status === 404 ? new StageGoneError(digest, `${this.registry.host}/${this.repository}`) : err;
    });
    const config = JSON.parse(new TextDecoder().decode(blob)) as ImageConfigDocument;
    const stage = { manifest, result, config };
    this.#stages.set(digest, stage);
    return stage;
  }

  /**
   * Uploads the draft's new blobs (waiting for those `streaming`), then writes the stage tag (with its publish time)
   * unless another node published this digest meanwhile; then theirs is adopted and
   * ours is dropped.
   *
   * From the call on, `read` of the digest answers with the draft, so a stage made on this
   * one can be made while this one uploads. `after`: stages (being published by this store)
   * whose blobs this one's manifest names: its tag is written once theirs (and theirs
   * below) are in. If one of those uploads fails, so does this publish, before writing anything.
   */
  publish(digest: string, draft: ImageDraft, borrowed: BorrowedBlob[] = [], opts: { overwrite?: boolean; streaming?: Map<string, Promise<boolean>>; after?: string[] } = {}): Promise<"published" | "adopted"> {
    const manifest = this.#stamped(draft.manifest);
    const body = encodeJson(manifest);
    const stage: StoredStage = { manifest, result: { digest: sha256Digest(body), mediaType: manifest.mediaType, body }, config: draft.config };
    // The blobs go up side by side, and the lookup of another node's copy with them: one round trip's wait, not one per request.
    const uploads = Promise.all([
      // `streaming`: blobs this build is uploading itself as they are made (a command stage's
      // layer): in once that upload is, pushed whole if it failed.
      ...draft.newBlobs.map(async (blob) => {
        if (await opts.streaming?.get(blob.digest)) return;
        await this.registry.pushBlob(this.repository, blob.digest, blob.data, undefined, { unseen: blob.unseen });
      }),
      // Blobs of another repository (a base image): mounted when the registry can, copied otherwise; one
      // at a time, as a copy holds its blob in memory.
      (async () => {
        for (const b of borrowed) await this.registry.pushBlob(this.repository, b.digest, b.fetch, b.mountFrom);
      })(),
    ]);
    // Every blob the manifest names is in: ours, and those of the stages below still uploading.
    const blobsIn = Promise.all([uploads, ...(opts.after ?? []).map((d) => this.#publishing.get(d)?.blobsIn ?? this.#failedBlobs.get(d))]);
    blobsIn.catch(() => this.#failedBlobs.set(digest, blobsIn));
    this.#failedBlobs.delete(digest);
    const done = this.#publish(digest, stage, blobsIn, opts);
    this.#publishing.set(digest, { stage, blobsIn, done });
    // Settled: reads go to what was written (cached below) or, adopted, to the registry's.
    const settle = () => {
      if (this.#publishing.get(digest)?.done === done) this.#publishing.delete(digest);
    };
    void done.then(settle, settle);
    return done;
  }

  async #publish(digest: string, stage: StoredStage, blobsIn: Promise<unknown>, opts: { overwrite?: boolean }): Promise<"published" | "adopted"> {
    // `overwrite`: the tag found is known to be broken (a stage being remade); ours replaces it.
    const theirs = opts.overwrite ? Promise.resolve(false) : this.has(digest);
    const [done, found] = await Promise.allSettled([blobsIn, theirs]);
    if (done.status === "rejected") throw done.reason;
    if (found.status === "rejected") throw found.reason;
    if (found.value) return "adopted";
    const { manifest, result } = stage;
    const written = await this.registry.putManifest(this.repository, stageTag(digest), result.body, manifest.mediaType);
    // What was just written is what a read would return: later stages on it read nothing.
    this.#stages.set(digest, { ...stage, result: { ...result, digest: written } });
    return "published";
  }

  /** Settles when this store's publish of the digest (if one is under way) has: its tag is then written, or theirs adopted. */
  async settled(digest: string): Promise<void> {
    await this.#publishing.get(digest)?.done;
  }

  /**
   * After the engine pushed a stage (its manifest carries no publish time), writes the
   * same manifest again with one (and `annotations`). Returns the manifest as pushed.
   */
  async stamp(digest: string, annotations: Record<string, string> = {}): Promise<ImageManifest> {
    // What the engine just pushed, never a manifest the lookup kept.
    this.#looked.delete(digest);
    const pushed = parseManifest((await this.#get(digest)).body);
    const manifest = withAnnotations(this.#stamped(pushed), annotations);
    await this.registry.putManifest(this.repository, stageTag(digest), encodeJson(manifest), manifest.mediaType);
    return pushed;
  }

  #stamped(m: ImageManifest): ImageManifest {
    return withAnnotations(m, { [ANNOTATIONS.published]: this.now().toISOString() });
  }
}
