import { RegistryError } from "../../errors.ts";
import type { ImageConfigDocument } from "../../engine/types.ts";
import type { ManifestResult, Registry } from "../../registry/types.ts";
import { stageTag } from "../names.ts";
import { encodeJson, parseManifest, type ImageDraft, type ImageManifest } from "./manifest.ts";

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

  constructor(readonly registry: Registry, readonly repository: string) {}

  /** `host/repository:stage-<digest>`, a reference the Docker engine can pull. */
  ref(digest: string): string {
    return `${this.registry.host}/${this.repository}:${stageTag(digest)}`;
  }

  /** The digests among `digests` that the registry has: one batched lookup. */
  async findMany(digests: string[]): Promise<Set<string>> {
    const found = await this.registry.findTags(this.repository, digests.map(stageTag));
    return new Set(digests.filter((d) => found.has(stageTag(d))));
  }

  async has(digest: string): Promise<boolean> {
    return (await this.registry.headManifest(this.repository, stageTag(digest))) !== undefined;
  }

  /** The manifest of a stored stage (one small request): layer digests and compressed sizes. */
  async manifest(digest: string): Promise<ImageManifest> {
    const cached = this.#stages.get(digest);
    if (cached) return cached.manifest;
    const result = await this.registry.getManifest(this.repository, stageTag(digest));
    if (!result) throw new RegistryError(`stage ${digest} is not in ${this.registry.host}/${this.repository}`, 404, "MANIFEST_UNKNOWN");
    return parseManifest(result.body);
  }

  /** Manifest and config of a stored stage (two small requests, cached): never a layer. */
  async read(digest: string): Promise<StoredStage> {
    const cached = this.#stages.get(digest);
    if (cached) return cached;
    const result = await this.registry.getManifest(this.repository, stageTag(digest));
    if (!result) throw new RegistryError(`stage ${digest} is not in ${this.registry.host}/${this.repository}`, 404, "MANIFEST_UNKNOWN");
    const manifest = parseManifest(result.body);
    const config = JSON.parse(new TextDecoder().decode(await this.registry.getBlob(this.repository, manifest.config.digest))) as ImageConfigDocument;
    const stage = { manifest, result, config };
    this.#stages.set(digest, stage);
    return stage;
  }

  /**
   * Uploads the draft's new blobs, then writes the stage tag unless another node
   * published this digest meanwhile; then theirs is adopted and ours is dropped.
   */
  async publish(digest: string, draft: ImageDraft, borrowed: BorrowedBlob[] = []): Promise<"published" | "adopted"> {
    for (const blob of draft.newBlobs) await this.registry.pushBlob(this.repository, blob.digest, blob.data);
    // Blobs of another repository (a base image): mounted when the registry can, copied otherwise.
    for (const b of borrowed) await this.registry.pushBlob(this.repository, b.digest, b.fetch, b.mountFrom);
    if (await this.has(digest)) return "adopted";
    await this.registry.putManifest(this.repository, stageTag(digest), encodeJson(draft.manifest), draft.manifest.mediaType);
    return "published";
  }
}
