import pLimit from "p-limit";
import { RegistryError } from "../errors.ts";
import { withRetry } from "../registry/retry.ts";
import type { EcrPort, Registry, RetryPolicy } from "../registry/types.ts";
import type { DeleteOutcome, TagDeleter } from "./types.ts";

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * OCI distribution: DELETE /v2/<repo>/manifests/<digest>, once per distinct digest
 * (it removes every tag on that manifest; the plan made sure no kept tag is among them).
 */
export function ociDeleter(registry: Registry, concurrency = 4): TagDeleter {
  return {
    unit: "digest",
    async delete(repository, items, onProgress) {
      const limit = pLimit(concurrency);
      const byDigest = new Map<string, Array<{ tag: string; digest: string }>>();
      for (const it of items) byDigest.set(it.digest, [...(byDigest.get(it.digest) ?? []), it]);
      let done = 0;
      const outcomes = await Promise.all([...byDigest].map(([digest, group]) => limit(async (): Promise<DeleteOutcome[]> => {
        try {
          await registry.deleteManifest(repository, digest);
          return group.map((g) => ({ ...g, result: "deleted" }));
        } catch (err) {
          return group.map((g) => ({ ...g, result: "failed", error: message(err) }));
        } finally {
          onProgress?.((done += group.length));
        }
      })));
      return outcomes.flat();
    },
  };
}

/** BatchDeleteImage takes at most 100 image ids a call. */
export const ECR_BATCH = 100;

/**
 * ECR: BatchDeleteImage by tag, 100 ids a call. Deleting by tag only untags when the
 * image has other tags, so a manifest a kept tag shares survives. Throttling is retried
 * with backoff (the shared registry retry policy classifies by error code).
 */
export function ecrDeleter(port: EcrPort, retry: RetryPolicy): TagDeleter {
  return {
    unit: "tag",
    async delete(repository, items, onProgress) {
      const out: DeleteOutcome[] = [];
      for (let i = 0; i < items.length; i += ECR_BATCH) {
        const chunk = items.slice(i, i + ECR_BATCH);
        out.push(...(await deleteChunk(port, retry, repository, chunk)));
        onProgress?.(out.length);
      }
      return out;
    },
  };
}

async function deleteChunk(port: EcrPort, retry: RetryPolicy, repository: string, chunk: Array<{ tag: string; digest: string }>): Promise<DeleteOutcome[]> {
  let failures: Awaited<ReturnType<EcrPort["batchDeleteImage"]>>;
  try {
    failures = await withRetry(retry, () => port.batchDeleteImage({ repository, ids: chunk.map((c) => ({ tag: c.tag })) }));
  } catch (err) {
    if (err instanceof RegistryError && err.code === "RepositoryNotFoundException") return chunk.map((c) => ({ ...c, result: "gone" }));
    return chunk.map((c) => ({ ...c, result: "failed", error: message(err) }));
  }
  const failed = new Map(failures.filter((f) => f.tag).map((f) => [f.tag!, f.code]));
  return chunk.map((c): DeleteOutcome => {
    const code = failed.get(c.tag);
    if (code === undefined) return { ...c, result: "deleted" };
    if (code === "ImageNotFound") return { ...c, result: "gone" };
    return { ...c, result: "failed", error: `ECR BatchDeleteImage: ${code}` };
  });
}
