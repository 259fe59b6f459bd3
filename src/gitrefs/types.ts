/** A git branch or tag that exists now, with its head commit and, when known, the commit's time. */
export interface GitRef {
  kind: "branch" | "tag";
  name: string;
  /** Full commit sha the ref points at (annotated tags peeled). */
  commit: string;
  /** Committer time of that commit; undefined when the source does not say (git ls-remote). */
  time?: Date;
  /**
   * Recent commits of the ref, newest first, starting with `commit` (local checkouts
   * only; a shallow clone has fewer). Lets images tagged with an older commit sha
   * count as images of this ref.
   */
  history?: string[];
}

/** Where the list of living refs comes from: the local checkout or the GitLab API. */
export interface GitRefSource {
  /** Every branch and tag. Throws when the list cannot be read: cleanup must not guess. */
  list(): Promise<GitRef[]>;
  /** Human description for reports ("git checkout /x (origin)", "GitLab project 12"). */
  readonly description: string;
}
