/**
 * Carrying out a plan without hurting builds that run meanwhile:
 *  1. image tags: each re-read just before deletion; a tag that moved, or (OCI) a
 *     manifest that a tag pushed after the plan also carries, is skipped;
 *  2. stage tags: image tags are listed again first, and every stage an image pushed
 *     since the plan needs is kept; the bodies of doomed stage manifests are saved;
 *  3. (OCI) after deleting, image tags are listed once more, and any deleted stage a
 *     newly pushed image needs is put back from the saved body (its blobs are still in
 *     the registry: distribution only drops blobs in an offline garbage collection).
 * See docs/cleanup.md for the argument.
 */
import pLimit from "p-limit";
import { digestOfStageTag, stageTag } from "../build/names.ts";
import type { ManifestResult, Registry } from "../registry/types.ts";
import { needsOfManifest, reach, type NeedsLoader, type ToolchainLoader } from "./reach.ts";
import { keyOf, takeSnapshot, type SnapshotOptions } from "./snapshot.ts";
import type { Decision, DeleteOutcome, Progress, TagDeleter, TagEntry } from "./types.ts";

export interface ExecuteOptions {
  registry: Registry;
  deleter: TagDeleter;
  snapshot: SnapshotOptions;
  needs: NeedsLoader;
  /** The toolchain of a stage pushed since the plan keeps it (see stillUnusedToolchains). */
  toolchain?: ToolchainLoader;
  progress?: Progress;
  concurrency?: number;
  /** Stage tags of the plan's snapshot (skipped when re-checking shared manifests). */
  knownStageTags?: Set<string>;
  /** Stages kept images need that were missing when planned (see executePlan). */
  missing?: Set<string>;
}

export interface ExecuteResult {
  failed: number;
  warnings: string[];
}

function mark(d: Decision, action: Decision["action"], reason: string): void {
  d.action = action;
  d.reason = reason;
}

function applyOutcomes(doomed: Decision[], outcomes: DeleteOutcome[]): number {
  const byKey = new Map(outcomes.map((o) => [o.tag, o]));
  let failed = 0;
  for (const d of doomed) {
    const o = byKey.get(d.tag);
    if (o?.result === "failed") {
      failed++;
      mark(d, "keep", `delete failed: ${o.error ?? "unknown error"} (was: ${d.reason})`);
    } else if (o?.result === "gone") d.reason = `${d.reason} (already gone)`;
  }
  return failed;
}

/** Re-reads doomed tags of one repository; returns the ones still safe to delete. */
async function stillDoomed(opts: ExecuteOptions, repository: string, doomed: Decision[]): Promise<Decision[]> {
  const now = await opts.registry.findTags(repository, doomed.map((d) => d.tag));
  let others = new Map<string, string>();
  if (opts.deleter.unit === "digest") {
    // Deleting by digest removes every tag on the manifest: look at every other tag as it
    // is now, except stage tags the plan already saw (immutable, one manifest each).
    const doomedKeys = new Set(doomed.map((d) => d.tag));
    const check = (await opts.registry.listTags(repository)).filter((t) => !doomedKeys.has(t) && !(digestOfStageTag(t) && opts.knownStageTags?.has(t)));
    const all = await opts.registry.findTags(repository, check);
    others = new Map([...all].map(([tag, desc]) => [desc.digest, tag]));
  }
  return doomed.filter((d) => {
    const current = now.get(d.tag);
    if (!current) return mark(d, "delete", `${d.reason} (already gone)`), false;
    if (current.digest !== d.digest) return mark(d, "keep", `tag moved after the plan (now ${current.digest}); not deleted`), false;
    const other = others.get(d.digest);
    if (other) return mark(d, "keep", `tag ${other}, written after the plan, carries the same manifest; not deleted`), false;
    return true;
  });
}

async function deleteGroup(opts: ExecuteOptions, phase: string, repository: string, doomed: Decision[]): Promise<number> {
  const safe = await stillDoomed(opts, repository, doomed);
  if (safe.length === 0) return 0;
  const outcomes = await opts.deleter.delete(repository, safe.map((d) => ({ tag: d.tag, digest: d.digest })), (done) =>
    opts.progress?.({ phase: `${phase} ${repository}`, done, total: safe.length }));
  return applyOutcomes(safe, outcomes);
}

function byRepository(decisions: Decision[]): Map<string, Decision[]> {
  const out = new Map<string, Decision[]>();
  for (const d of decisions) out.set(d.repository, [...(out.get(d.repository) ?? []), d]);
  return out;
}

/** Stages that images written since `known` was read need. stage digest -> why. */
async function neededByNewImages(opts: ExecuteOptions, known: Map<string, TagEntry>, extraStages: Map<string, string>, needs = opts.needs, extraRoots = new Map<string, string>()): Promise<Map<string, string>> {
  const fresh = await takeSnapshot(opts.snapshot, true, known);
  const roots = new Map(extraRoots);
  for (const e of fresh) {
    const before = known.get(keyOf(e));
    if (e.stage && (!before || before.digest !== e.digest)) roots.set(e.stage, `needed by ${e.repository}:${e.tag}, pushed during cleanup`);
    known.set(keyOf(e), e);
  }
  if (roots.size === 0) return roots;
  // Stages are found by tag (immutable), so stages pushed after the plan are walked too.
  const tags = await opts.registry.listTags(opts.snapshot.repo);
  const stages = new Map([...extraStages, ...tags.filter((t) => t.startsWith("stage-")).map((t) => [t.slice(6), t] as [string, string])]);
  return (await reach(roots, stages, needs)).needed;
}

export async function executePlan(decisions: Decision[], entries: TagEntry[], options: ExecuteOptions): Promise<ExecuteResult> {
  const opts = { ...options, knownStageTags: new Set(entries.filter((e) => e.kind === "stage").map((e) => e.tag)) };
  const known = new Map(entries.filter((e) => e.kind === "image").map((e) => [keyOf(e), e]));
  const stageRefs = new Map(entries.filter((e) => e.kind === "stage").map((e) => [e.stage!, e.digest]));
  let failed = 0;
  const doomedImages = decisions.filter((d) => d.kind === "image" && d.action === "delete");
  for (const [repo, group] of byRepository(doomedImages)) failed += await deleteGroup(opts, "deleting images", repo, group);
  // Caches need nothing and nothing needs them; a cache saved again since the plan has moved and stays.
  const doomedCaches = decisions.filter((d) => d.kind === "cache" && d.action === "delete");
  if (doomedCaches.length > 0) failed += await deleteGroup(opts, "deleting caches", opts.snapshot.repo, doomedCaches);

  // Images that were to go but stayed (failed, or sharing a manifest with a new tag) keep their stages.
  const survivors = new Map(doomedImages.filter((d) => d.action === "keep" && d.stage).map((d) => [d.stage!, `needed by ${d.repository}:${d.tag}, which was not deleted`]));
  const broken = brokenChains(decisions, opts.missing);
  const rescued = await neededByNewImages(opts, known, stageRefs, opts.needs, new Map([...broken, ...survivors]));
  const doomedStages = decisions.filter((d) => d.kind === "stage" && d.action === "delete");
  for (const d of doomedStages) if (rescued.has(d.stage!)) mark(d, "keep", rescued.get(d.stage!)!);
  const stillDoomedStages = doomedStages.filter((d) => d.action === "delete");
  const saved = opts.deleter.unit === "digest" ? await saveManifests(opts, stillDoomedStages) : new Map<string, ManifestResult>();
  failed += await deleteGroup(opts, "deleting stages", opts.snapshot.repo, stillDoomedStages);

  if (opts.deleter.unit === "digest") await restoreNeeded(opts, known, stageRefs, stillDoomedStages, saved, broken);
  const doomedToolchains = decisions.filter((d) => d.kind === "toolchain" && d.action === "delete");
  if (doomedToolchains.length > 0) failed += await deleteGroup(opts, "deleting toolchains", opts.snapshot.repo, await stillUnusedToolchains(opts, doomedToolchains));
  return { failed, warnings: [] };
}

/**
 * Toolchains go last: a stage tag pushed since the plan that was built with a doomed
 * toolchain keeps it (the snapshot's stage tags are immutable and were judged already).
 */
async function stillUnusedToolchains(opts: ExecuteOptions, doomed: Decision[]): Promise<Decision[]> {
  if (!opts.toolchain) {
    for (const d of doomed) mark(d, "keep", `stages pushed during cleanup were not checked for it; not deleted (was: ${d.reason})`);
    return [];
  }
  const fresh = (await opts.registry.listTags(opts.snapshot.repo)).filter((t) => digestOfStageTag(t) && !opts.knownStageTags?.has(t));
  const found = await opts.registry.findTags(opts.snapshot.repo, fresh);
  const limit = pLimit(opts.concurrency ?? 8);
  const used = new Map<string, string>();
  await Promise.all([...found].map(([tag, d]) => limit(async () => {
    const toolchain = await opts.toolchain!(digestOfStageTag(tag)!, d.digest);
    if (toolchain) used.set(toolchain, tag);
  })));
  return doomed.filter((d) => {
    const by = d.toolchain ? used.get(d.toolchain) : undefined;
    if (by) mark(d, "keep", `used by ${by}, pushed during cleanup; not deleted`);
    return !by;
  });
}

/**
 * When a kept image's stages were incomplete at plan time (a build is remaking a deleted
 * one), the walk stopped at the gap and never saw the stages beyond it: every kept image
 * is walked again before and after deleting, so what the remade stage needs is kept.
 */
function brokenChains(decisions: Decision[], missing: Set<string> | undefined): Map<string, string> {
  if (!missing?.size) return new Map();
  const kept = decisions.filter((d) => d.kind === "image" && d.action === "keep" && d.stage);
  return new Map(kept.map((d) => [d.stage!, `needed by kept image ${d.repository}:${d.tag}, whose stages were incomplete when planned`]));
}

async function saveManifests(opts: ExecuteOptions, doomed: Decision[]): Promise<Map<string, ManifestResult>> {
  const limit = pLimit(opts.concurrency ?? 8);
  const saved = new Map<string, ManifestResult>();
  await Promise.all(doomed.map((d) => limit(async () => {
    const m = await opts.registry.getManifest(d.repository, d.digest);
    if (m) saved.set(d.stage!, m);
  })));
  return saved;
}

/** Puts back deleted stages that an image pushed while we deleted turns out to need. */
async function restoreNeeded(opts: ExecuteOptions, known: Map<string, TagEntry>, stageRefs: Map<string, string>, deleted: Decision[], saved: Map<string, ManifestResult>, roots: Map<string, string>): Promise<void> {
  const gone = deleted.filter((d) => d.action === "delete");
  if (gone.length === 0) return;
  // Deleted stages are walked through their saved bodies (their config blobs are still there).
  const needs: NeedsLoader = (stage, ref) => {
    const body = saved.get(stage);
    return body ? needsOfManifest(opts.registry, opts.snapshot.repo, body.body) : opts.needs(stage, ref);
  };
  const needed = await neededByNewImages(opts, known, stageRefs, needs, roots);
  for (const d of gone) {
    const why = needed.get(d.stage!);
    const body = saved.get(d.stage!);
    if (!why || !body) continue;
    await opts.registry.putManifest(d.repository, stageTag(d.stage!), body.body, body.mediaType);
    mark(d, "keep", `restored: ${why}`);
  }
}
