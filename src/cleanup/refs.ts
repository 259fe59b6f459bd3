/**
 * Keep policies over git refs: which living refs keep images, and which of each ref's
 * images they keep. Pure; time comes in as `now`.
 */
import type { GitRef } from "../gitrefs/types.ts";
import { slugTag } from "../build/remote/tags.ts";
import { formatDuration } from "./duration.ts";
import type { CleanupPolicy, KeepPolicy, Limit } from "./policy.ts";
import type { TagEntry } from "./types.ts";

/**
 * Does the image tag belong to the ref: its name, its slug, or one of its commits (the
 * head, or a recent one when the source knows the history), as a full sha or a prefix
 * of at least 7 hex digits.
 */
export function tagBelongsTo(tag: string, ref: GitRef): boolean {
  if (tag === ref.name || tag === slugTag(ref.name)) return true;
  if (!/^[0-9a-f]{7,40}$/.test(tag)) return false;
  return commitsOf(ref).some((c) => c.startsWith(tag));
}

export function commitsOf(ref: GitRef): string[] {
  return ref.history?.length ? ref.history : ref.commit ? [ref.commit] : [];
}

/** Limit check for an item at `rank` (0 = newest) with `time` (undefined = unknown, treated as now: never deleted for age). */
export function withinLimit(limit: Limit | undefined, rank: number, time: Date | undefined, now: Date): boolean {
  if (!limit) return true;
  const checks: boolean[] = [];
  if (limit.last !== undefined) checks.push(rank < limit.last);
  if (limit.inMs !== undefined) checks.push(!time || now.getTime() - time.getTime() <= limit.inMs);
  return limit.operator === "Or" ? checks.some(Boolean) : checks.every(Boolean);
}

export function describeLimit(limit: Limit | undefined): string {
  if (!limit) return "no limit";
  const parts = [limit.last !== undefined ? `last ${limit.last}` : "", limit.inMs !== undefined ? `in ${formatDuration(limit.inMs)}` : ""].filter(Boolean);
  return parts.join(limit.operator === "Or" ? " or " : " and ");
}

const newestFirst = (a: Date | undefined, b: Date | undefined) => (b?.getTime() ?? Infinity) - (a?.getTime() ?? Infinity);

export interface RefVerdict {
  ref: GitRef;
  /** Policies (by index) that select this ref; empty + matched=true means a limit left it out. */
  selectedBy: number[];
  matched: boolean;
}

/** For every living ref: which policies match it and which select it under their limits. */
export function judgeRefs(refs: GitRef[], policy: CleanupPolicy, now: Date): Map<GitRef, RefVerdict> {
  const out = new Map<GitRef, RefVerdict>(refs.map((ref) => [ref, { ref, selectedBy: [], matched: false }]));
  policy.keepPolicies.forEach((p, index) => {
    const matching = refs.filter((r) => r.kind === p.kind && p.matches(r.name)).sort((a, b) => newestFirst(a.time, b.time));
    matching.forEach((ref, rank) => {
      const v = out.get(ref)!;
      v.matched = true;
      if (withinLimit(p.limit, rank, ref.time, now)) v.selectedBy.push(index);
    });
  });
  return out;
}

export function describePolicy(p: KeepPolicy, index: number): string {
  return `keepPolicies[${index}] (${p.kind} ${p.pattern}${p.limit ? `, ${describeLimit(p.limit)}` : ""})`;
}

/**
 * Images of one ref in one repository, newest first, and which of them the ref's
 * selecting policies keep (imagesPerReference). An image is a manifest: the branch tag
 * and the commit tag of one build are one image. Returns entry -> reason.
 */
export function imagesKeptForRef(verdict: RefVerdict, images: TagEntry[], policy: CleanupPolicy, now: Date): Map<TagEntry, string> {
  const kept = new Map<TagEntry, string>();
  const sorted = [...images].sort((a, b) => newestFirst(a.created, b.created));
  const order = [...new Set(sorted.map((e) => e.digest))];
  const what = `${verdict.ref.kind} ${verdict.ref.name}`;
  for (const index of verdict.selectedBy) {
    const p = policy.keepPolicies[index];
    sorted.forEach((img) => {
      if (kept.has(img) || !withinLimit(p.imagesPerReference, order.indexOf(img.digest), img.created, now)) return;
      const per = p.imagesPerReference ? `, images per reference ${describeLimit(p.imagesPerReference)}` : "";
      kept.set(img, `${what} exists; kept by ${describePolicy(p, index)}${per}`);
    });
  }
  return kept;
}
