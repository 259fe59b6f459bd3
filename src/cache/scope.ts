/**
 * Which cache a build reads and writes. A cache is saved under the build's own git ref
 * (branch or tag); when that ref has none yet, it starts from the default branch's (a
 * new feature branch begins with main's packages). It never writes to the default
 * branch's cache from another ref.
 */
export interface CacheScope {
  /** The git ref the build is for: saves go here. */
  ref: string;
  /** Read when `ref` has no cache. */
  defaultBranch: string;
}

/** The refs to look in, in order: the build's own, then the default branch's. */
export function lookupRefs(scope: CacheScope): string[] {
  return scope.ref === scope.defaultBranch ? [scope.ref] : [scope.ref, scope.defaultBranch];
}

/**
 * The scope from flags and GitLab's CI variables: `--cache-ref`, else CI_COMMIT_REF_NAME
 * (a branch, or the tag of a tag pipeline), else the checked-out branch, else the default
 * branch; the default branch from `--cache-default-branch`, else CI_DEFAULT_BRANCH, else main.
 */
export function scopeFrom(
  flags: { cacheRef?: string; cacheDefaultBranch?: string }, env: Record<string, string | undefined>, checkedOut?: string,
): CacheScope {
  const defaultBranch = flags.cacheDefaultBranch || env.CI_DEFAULT_BRANCH || "main";
  return { ref: flags.cacheRef || env.CI_COMMIT_REF_NAME || checkedOut || defaultBranch, defaultBranch };
}
