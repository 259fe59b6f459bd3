/**
 * The dependency-cache port: a build node's cache directories kept somewhere that
 * outlives the node. The builder restores a directory before a command stage that
 * mounts it runs, and saves it back after the stage ran. Neither may fail a build:
 * problems come back as warnings, and the stage runs on whatever the directory holds.
 */
export interface CacheRestore {
  /** Bytes downloaded (0 when the node already held that content, or there was none). */
  bytes: number;
  /** Where the content came from: the registry (the build's ref, or the default branch's), the node, or nowhere. */
  from: "registry" | "node" | "none";
  /** The ref whose cache was restored. */
  ref?: string;
  /** Fingerprint of the directory as restored: a save is due only when the run changed it. */
  fingerprint: string;
  warnings: string[];
}

export interface CacheSave {
  bytes: number;
  outcome: "saved" | "unchanged" | "read-only" | "too-large" | "failed";
  warnings: string[];
}

export interface DependencyCache {
  /** Fills `dir` with the cache `id` of this build's scope. */
  restore(id: string, dir: string): Promise<CacheRestore>;
  /** Saves `dir` as the cache `id` of this build's ref when it differs from what `restore` found. */
  save(id: string, dir: string, restored: CacheRestore, options?: { readOnly?: boolean }): Promise<CacheSave>;
}
