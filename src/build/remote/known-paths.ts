/**
 * The parent's filesystem for a file stage made in the registry, without the parent's
 * files: the indexes of its layers (see ../layer-index.ts), by diff id (the engine may
 * compress a layer again under another blob digest). An index comes from this build (a
 * layer it made), from the parent manifest's annotation (layers made by slipway on any
 * node, a Dockerfile's base image indexed when its FROM stage was made), or from
 * downloading that layer once (a layer the engine pushed). Lookups go down from the top
 * layer and stop at the first layer that says anything of the path, so lower layers are
 * fetched only when needed.
 */
import { Readable, Transform } from "node:stream";
import type { ImageDraft, ImageManifest } from "../../image/index.ts";
import { annotatedIndexes, decide, decodeIndex, encodeIndex, indexAnnotation, indexBlob, LAYER_INDEX_ANNOTATION, type LayerIndex } from "../layer-index.ts";
import type { PathAttrs, Stat } from "../layer.ts";

export { LAYER_INDEX_ANNOTATION };

/** A layer blob as a stream (the registry's). */
export type FetchBlob = (digest: string) => Promise<Readable>;

export class KnownPaths {
  /** By diff id. */
  readonly #indexes = new Map<string, Promise<LayerIndex>>();
  readonly #encoded = new Map<string, string>();

  /** The index of a layer made here. */
  remember(diffId: string, index: LayerIndex): void {
    this.#indexes.set(diffId, Promise.resolve(index));
  }

  #encodedOf(digest: string, annotated: Map<string, string>): string | undefined {
    return this.#encoded.get(digest) ?? annotated.get(digest);
  }

  #index(diffId: string, blob: string, annotated: Map<string, string>, fetch: FetchBlob, counted: (bytes: number) => void): Promise<LayerIndex> {
    let found = this.#indexes.get(diffId);
    if (found) return found;
    const text = annotated.get(diffId);
    if (text !== undefined) {
      try {
        found = Promise.resolve(decodeIndex(text));
      } catch {
        found = undefined; // unreadable: index the layer itself
      }
    }
    found ??= (async () => {
      let bytes = 0;
      const counting = new Transform({
        transform(chunk: Buffer, _e, done) {
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      try {
        return await indexBlob((await fetch(blob)).pipe(counting));
      } finally {
        counted(bytes);
      }
    })();
    this.#indexes.set(diffId, found);
    // A failed download is not remembered: the next stage may try again.
    found.catch(() => this.#indexes.delete(diffId));
    return found;
  }

  /**
   * Paths of the filesystem `manifest` describes. `counted` is told the bytes of every
   * layer downloaded to answer (none when the annotations or this build know them).
   */
  stat(manifest: ImageManifest, diffIds: string[], fetch: FetchBlob, counted: (bytes: number) => void): Stat {
    const annotated = annotatedIndexes(manifest.annotations);
    const top = diffIds.map((diffId, i) => [diffId, manifest.layers[i]?.digest ?? ""] as const).reverse();
    return async (path: string): Promise<PathAttrs | undefined> => {
      if (path === "/" || path === "") return { type: "directory", mode: 0o755, uid: 0, gid: 0 };
      for (const [diffId, blob] of top) {
        const said = decide(await this.#index(diffId, blob, annotated, fetch, counted), path);
        if (said !== undefined) return said ?? undefined;
      }
      return undefined;
    };
  }

  /** Indexes every layer now (a base image's, when its FROM stage is made): downloads those not known. */
  async indexAll(manifest: ImageManifest, diffIds: string[], fetch: FetchBlob, counted: (bytes: number) => void): Promise<void> {
    const annotated = annotatedIndexes(manifest.annotations);
    for (const [i, diffId] of diffIds.entries()) await this.#index(diffId, manifest.layers[i]?.digest ?? "", annotated, fetch, counted);
  }

  /** `manifest` (over layers `diffIds`) with the annotation of every layer index known here or inherited (replacing the parent's). */
  annotate(manifest: ImageManifest, diffIds: string[]): ImageManifest {
    const annotated = annotatedIndexes(manifest.annotations);
    const value = indexAnnotation(diffIds, (diffId) => this.#encodedOf(diffId, annotated));
    const { [LAYER_INDEX_ANNOTATION]: _old, ...rest } = manifest.annotations ?? {};
    const annotations = value ? { ...rest, [LAYER_INDEX_ANNOTATION]: value } : rest;
    const out: ImageManifest = { ...manifest, annotations };
    if (Object.keys(annotations).length === 0) delete out.annotations;
    return out;
  }

  /** Encodes the indexes this build holds for these layers (the ones read or made), for annotate(). */
  async settle(diffIds: string[]): Promise<void> {
    for (const diffId of diffIds) {
      const found = this.#indexes.get(diffId);
      if (!found || this.#encoded.has(diffId)) continue;
      const index = await found.catch(() => undefined);
      if (index) this.#encoded.set(diffId, encodeIndex(index));
    }
  }
}

/** The draft with its manifest annotated by every layer index `known` holds or the manifest inherited. */
export async function annotated(known: KnownPaths, draft: ImageDraft): Promise<ImageDraft> {
  const diffIds = draft.config.rootfs.diff_ids;
  await known.settle(diffIds);
  return { ...draft, manifest: known.annotate(draft.manifest, diffIds) };
}
