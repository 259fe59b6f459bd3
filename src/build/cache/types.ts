/**
 * The stage-cache port: where built stages are kept and found by digest. Two
 * implementations: the engine's own images (./engine.ts, `build`) and a registry's
 * stages repository (./registry.ts, `bp`, `push`, `stages push|pull`). Both hand stages
 * to and take them from a container engine, which is where stages are built.
 */
export interface StageCache {
  /** Where the stages are kept, for messages: `engine`, or the repository's reference. */
  readonly where: string;
  /** The stage stored under `digest`; undefined when absent. */
  find(digest: string): Promise<{ digest: string; ref: string } | undefined>;
  /** The digests among `digests` the cache has: one batched lookup. */
  findMany(digests: string[]): Promise<Set<string>>;
  /**
   * Makes the stored stage available in the engine as `localRef`; `bytes` is what was
   * downloaded. A stage the cache does not have is a StageGoneError.
   */
  fetch(digest: string, localRef: string): Promise<{ bytes: number }>;
  /**
   * Stores the engine's image `localRef` as stage `digest`. Idempotent and
   * create-if-absent: when the cache has the digest already (another node won),
   * nothing is written and the outcome is `adopted`. `bytes` is what was uploaded.
   */
  publish(digest: string, localRef: string): Promise<{ outcome: "published" | "adopted"; bytes: number }>;
}
