import type { GitRefSource } from "../gitrefs/types.ts";
import type { KubeImageSource } from "../k8s/types.ts";
import type { Registry } from "../registry/types.ts";
import { executePlan } from "./execute.ts";
import { makePlan } from "./plan.ts";
import { DEFAULT_GRACE_MS, type CleanupPolicy } from "./policy.ts";
import { registryStageFacts } from "./reach.ts";
import { toReport } from "./report.ts";
import { takeSnapshot } from "./snapshot.ts";
import type { CleanupReport, Progress, TagDeleter } from "./types.ts";

export interface CleanupRepoOptions {
  registry: Registry;
  deleter: TagDeleter;
  /** Repository path of REPO (without the host). */
  repo: string;
  /** Config image names ("" = the nameless image). */
  images: string[];
  refs: GitRefSource;
  /** undefined = Kubernetes not consulted (--no-kube). */
  kube?: KubeImageSource;
  policy: CleanupPolicy;
  /** Overrides the policy's grace; 0 disables it. Default: policy grace or 2h. */
  graceMs?: number;
  /** Extra keep-list patterns (--keep). */
  keep?: Array<{ pattern: string; matches: (tag: string) => boolean }>;
  dryRun: boolean;
  /** Said once in the report (e.g. "Kubernetes was not checked"). */
  warnings?: string[];
  now?: () => Date;
  progress?: Progress;
  concurrency?: number;
}

/**
 * `slipway cleanup repo`: snapshot every tag, read git refs and the clusters (any
 * failure stops here, before a single delete), plan, then (unless dry run) delete.
 */
export async function cleanupRepo(opts: CleanupRepoOptions): Promise<CleanupReport> {
  const snapshotOpts = { registry: opts.registry, repo: opts.repo, images: opts.images, concurrency: opts.concurrency };
  const [entries, refs, kube] = await Promise.all([takeSnapshot(snapshotOpts), opts.refs.list(), opts.kube ? opts.kube.list() : Promise.resolve([])]);
  const { needs, published, toolchain } = registryStageFacts(opts.registry, opts.repo);
  const plan = await makePlan({
    entries,
    refs,
    kube,
    policy: opts.policy,
    graceMs: opts.graceMs ?? opts.policy.graceMs ?? DEFAULT_GRACE_MS,
    keep: [...opts.policy.keep, ...(opts.keep ?? [])],
    now: (opts.now ?? (() => new Date()))(),
    host: opts.registry.host,
    repo: opts.repo,
    unit: opts.deleter.unit,
    needs,
    published,
    toolchain,
  });
  const warnings = [...(opts.warnings ?? []), ...[...plan.missing].map((d) => `stage ${d} is needed by a kept image but missing from ${opts.repo}`)];
  if (opts.dryRun) return toReport(plan.decisions, { dryRun: true, failed: 0, warnings });
  const result = await executePlan(plan.decisions, entries, { registry: opts.registry, deleter: opts.deleter, snapshot: snapshotOpts, needs, toolchain, progress: opts.progress, missing: plan.missing });
  return toReport(plan.decisions, { dryRun: false, failed: result.failed, warnings: [...warnings, ...result.warnings] });
}
