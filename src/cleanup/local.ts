/**
 * `slipway stages cleanup local`: the seed's build-node cache cleanup. Local stages are
 * images tagged `slipway-stages/<project>:<digest>` with slipway labels; this removes
 * those built under another cache version, those whose recorded commit the repository
 * no longer has, and those the stages registry no longer has.
 */
import { CACHE_VERSION } from "../build/digest.ts";
import { LABELS, stageRef } from "../build/names.ts";
import type { Engine, LocalImage } from "../engine/types.ts";
import { toReport } from "./report.ts";
import type { CleanupReport, Decision } from "./types.ts";

export interface LocalCleanupOptions {
  engine: Engine;
  project: string;
  improperCacheVersion: boolean;
  /** Commits the repository lacks, among the given ones (gitrefs missingCommits bound to the checkout). */
  missingCommits?: (shas: string[]) => Promise<Set<string>>;
  /** Stage digests the stages registry has (REPO given). */
  registryStages?: () => Promise<Set<string>>;
  dryRun: boolean;
}

function verdict(img: LocalImage, missing: Set<string>, inRegistry: Set<string> | undefined, opts: LocalCleanupOptions): string | undefined {
  const labels = img.config.config.Labels ?? {};
  const version = labels[LABELS.cacheVersion];
  if (opts.improperCacheVersion && version !== CACHE_VERSION) return `built with cache version ${version ?? "(none)"}, current is ${CACHE_VERSION}`;
  const commit = labels[LABELS.gitCommit];
  if (commit && missing.has(commit)) return `its git commit ${commit} is no longer in the repository`;
  const digest = labels[LABELS.digest];
  if (inRegistry && digest && !inRegistry.has(digest)) return "the stages registry no longer has this stage";
  return undefined;
}

export async function cleanupLocalStages(opts: LocalCleanupOptions): Promise<CleanupReport> {
  const images = await opts.engine.listImages({ [LABELS.project]: opts.project });
  const commits = images.map((i) => i.config.config.Labels?.[LABELS.gitCommit] ?? "").filter(Boolean);
  const [missing, inRegistry] = await Promise.all([
    opts.missingCommits ? opts.missingCommits(commits) : Promise.resolve(new Set<string>()),
    opts.registryStages?.(),
  ]);
  const decisions: Decision[] = [];
  let failed = 0;
  for (const img of images) {
    const digest = img.config.config.Labels?.[LABELS.digest] ?? "";
    const ref = stageRef(opts.project, digest);
    const reason = verdict(img, missing, inRegistry, opts);
    const d: Decision = { repository: ref.slice(0, ref.lastIndexOf(":")), tag: digest, digest: img.id, kind: "stage", stage: digest, action: reason ? "delete" : "keep", reason: reason ?? "current" };
    if (reason && !opts.dryRun) {
      try {
        // Only stage tags: a final image tag on the same id is not ours to drop.
        const tags = img.repoTags.filter((t) => t.startsWith("slipway-stages/"));
        for (const tag of tags.length ? tags : [ref]) await opts.engine.removeImage(tag);
      } catch (err) {
        failed++;
        Object.assign(d, { action: "keep", reason: `remove failed: ${(err as Error).message} (was: ${reason})` });
      }
    }
    decisions.push(d);
  }
  return toReport(decisions, { dryRun: opts.dryRun, failed, warnings: [] });
}
