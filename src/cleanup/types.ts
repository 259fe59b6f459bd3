/** One tag as the plan saw it. Stage tags live in REPO; image tags in REPO (nameless) or REPO/<image>. */
export interface TagEntry {
  repository: string;
  tag: string;
  /** Manifest digest the tag pointed at when the snapshot was taken. */
  digest: string;
  /**
   * `cache`: a dependency cache (`cache..<key>..<scope>` in REPO, see src/cache/tag.ts);
   * `toolchain`: the Ansible toolchain (`ansible-toolchain-<recipe>` in REPO, src/ansible/tag.ts).
   */
  kind: "image" | "stage" | "cache" | "toolchain";
  /** Caches: the git ref they were saved for (io.slipway.cache.ref). */
  ref?: string;
  /** Final images: the config's image name ("" for the nameless image). */
  image?: string;
  /** Stage tags: their own stage digest; images: the io.slipway.stage annotation (last stage). */
  stage?: string;
  /** Toolchains: the toolchain's digest (io.slipway.ansible-toolchain), which ansible stages record in slipway.inputs. */
  toolchain?: string;
  /** Images, caches and toolchains: org.opencontainers.image.created. */
  created?: Date;
}

export interface Decision extends TagEntry {
  action: "keep" | "delete";
  reason: string;
}

/** The JSON contract of `cleanup repo --json`. */
export interface CleanupReport {
  tags: Array<{ tag: string; digest: string; action: "keep" | "delete"; reason: string; repository: string; kind: "image" | "stage" | "cache" | "toolchain"; image?: string; ref?: string }>;
  totals: { kept: number; deleted: number; failed: number };
  dryRun: boolean;
  warnings: string[];
}

/** Deletes tags in one repository; every item gets an outcome. */
export interface TagDeleter {
  /** "tag": each tag is removed on its own (ECR); "digest": the manifest goes with every tag on it (OCI). */
  readonly unit: "tag" | "digest";
  delete(repository: string, items: Array<{ tag: string; digest: string }>, onProgress?: (done: number) => void): Promise<DeleteOutcome[]>;
}

export interface DeleteOutcome {
  tag: string;
  digest: string;
  /** "gone" = it was already absent. */
  result: "deleted" | "gone" | "failed";
  error?: string;
}

/** Progress for long deletions (stderr in the CLI). */
export type Progress = (event: { phase: string; done: number; total: number }) => void;
