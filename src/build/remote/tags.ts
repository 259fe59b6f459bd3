import { createHash } from "node:crypto";
import { UsageError } from "../../errors.ts";

const VALID_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/**
 * A git ref or any text as a valid registry tag. Valid tags are kept as they are.
 * Otherwise invalid characters become "-", and a short hash of the original is
 * appended so distinct refs stay distinct ("feature/x" and "feature-x" differ):
 * `feature/login` -> `feature-login-5c1a2b9e`. At most 128 characters.
 */
export function slugTag(text: string): string {
  if (VALID_TAG.test(text)) return text;
  if (text === "") throw new UsageError("empty tag");
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 8);
  let slug = text.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[.-]+/, "").replace(/-+$/, "");
  slug = slug.slice(0, 128 - hash.length - 1);
  return slug ? `${slug}-${hash}` : hash;
}

export interface TagFlags {
  tagCi?: boolean;
  tagBranch?: boolean;
  tagCommit?: boolean;
  tag?: string[];
}

/** Tags from the tagging flags and GitLab's CI variables, slugified and de-duplicated. */
export function tagsFromFlags(flags: TagFlags, env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  const need = (name: string, flag: string) => {
    const value = env[name];
    if (!value) throw new UsageError(`${flag} needs ${name} to be set (GitLab CI sets it)`);
    return value;
  };
  if (flags.tagCi) out.push(env.CI_COMMIT_TAG ? env.CI_COMMIT_TAG : need("CI_COMMIT_REF_NAME", "--tag-ci"));
  if (flags.tagBranch) out.push(need("CI_COMMIT_REF_NAME", "--tag-branch"));
  if (flags.tagCommit) out.push(need("CI_COMMIT_SHA", "--tag-commit"));
  // `..` is never in a git ref's slug: slipway keeps it for dependency-cache tags (src/cache/tag.ts).
  const reserved = (flags.tag ?? []).find((t) => t.includes(".."));
  if (reserved) throw new UsageError(`--tag ${reserved}: tags holding ".." are reserved for dependency caches`);
  out.push(...(flags.tag ?? []));
  if (out.length === 0) throw new UsageError("no tag given: use --tag-ci, --tag-branch, --tag-commit or --tag TAG");
  return [...new Set(out.map(slugTag))];
}

/** `SLIPWAY_IMAGE_<NAME>=repo@sha256:...` lines for a GitLab dotenv report (nameless image: SLIPWAY_IMAGE). */
export function dotenvLines(images: { name: string; repository: string; manifestDigest: string | null }[]): string {
  return images
    .filter((i) => i.manifestDigest)
    .map((i) => `${i.name ? `SLIPWAY_IMAGE_${i.name.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}` : "SLIPWAY_IMAGE"}=${i.repository}@${i.manifestDigest}\n`)
    .join("");
}
