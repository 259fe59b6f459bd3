/**
 * Registry scheme of dependency caches. A cache lives in the stages repository REPO
 * under the tag `cache..<key>..<scope>`: `key` is 16 hex digits of sha256 over the
 * project and the mount id, `scope` 16 hex digits of sha256 over the git ref. No stage
 * tag (`stage-<64 hex>`) and no image tag can look like it: a git branch or tag name
 * never holds `..` (git check-ref-format), so neither does its slug, and `--tag`
 * refuses such names. The manifest's annotations say what the hashes hide (project,
 * mount id, ref), for cleanup and for people.
 */
import { createHash } from "node:crypto";

export const CACHE_TAG_PREFIX = "cache..";

const CACHE_TAG = /^cache\.\.[0-9a-f]{16}\.\.[0-9a-f]{16}$/;

export const CACHE_ANNOTATIONS = {
  project: "io.slipway.cache.project",
  id: "io.slipway.cache.id",
  ref: "io.slipway.cache.ref",
  /** Change detection: the content fingerprint (see ./fingerprint.ts) of what the layer holds. */
  fingerprint: "io.slipway.cache.fingerprint",
  /** Bytes of file content the cache holds (what the size limit counts). */
  size: "io.slipway.cache.size",
  /** When it was saved (the saving node's clock): cleanup's grace window. */
  created: "org.opencontainers.image.created",
} as const;

function short(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** The tag of one cache: project + mount id, in the scope of one git ref. */
export function cacheTag(project: string, id: string, ref: string): string {
  return `${CACHE_TAG_PREFIX}${short(`${project}\0${id}`)}..${short(ref)}`;
}

export function isCacheTag(tag: string): boolean {
  return CACHE_TAG.test(tag);
}

/** Any tag slipway reserves for caches (what `--tag` must not use): every tag holding `..`. */
export function isReservedCacheTag(tag: string): boolean {
  return tag.startsWith(CACHE_TAG_PREFIX) || tag.includes("..");
}
