import type { BuildOptions } from "../builder.ts";
import { silentProgress } from "../builder.ts";
import { planProject, type ImagePlan } from "../plan.ts";
import { totals, type BuildReport, type StageReport } from "../report.ts";
import type { RegistryStageStore } from "./store.ts";

export interface PullOptions extends BuildOptions {
  store: RegistryStageStore;
  /** Pull every stage the registry has, not only what the next build needs. */
  all: boolean;
}

/**
 * The stages a later build on this node will need in its engine: for each image,
 * the parent of the first stage the registry lacks, when a command stage must run
 * at or after it (file and config stages are made in the registry and need
 * nothing local), plus the sources of imports that must be made.
 */
function neededLocally(image: ImagePlan, inRegistry: Set<string>): Set<string> {
  const needed = new Set<string>();
  const first = image.stages.findIndex((s) => !inRegistry.has(s.digest));
  if (first < 0) return needed;
  const missing = image.stages.slice(first).filter((s) => !inRegistry.has(s.digest));
  if (first > 0 && missing.some((s) => s.stage.kind === "user" || s.stage.kind === "dockerfile-run")) needed.add(image.stages[first - 1].digest);
  // A changed import source is not in the registry yet: bp builds it, nothing to pull.
  for (const s of missing) if (s.stage.kind === "imports" || s.stage.readsNeeds) for (const d of s.stage.needs?.() ?? []) if (inRegistry.has(d)) needed.add(d);
  return needed;
}

/**
 * `slipway stages pull`: warms the engine with exactly what the next build needs,
 * which is nothing at all when the registry has every stage; `--all` pulls every
 * stage the registry has.
 */
export async function pullStages(opts: PullOptions): Promise<BuildReport> {
  const started = performance.now();
  const progress = opts.progress ?? silentProgress;
  const plan = await planProject(opts.config, opts.images, opts);
  const inRegistry = await opts.store.findMany(plan.images.flatMap((i) => i.stages.map((s) => s.digest)));
  const wanted = new Set<string>();
  for (const image of plan.images) {
    const pick = opts.all ? image.stages.map((s) => s.digest).filter((d) => inRegistry.has(d)) : neededLocally(image, inRegistry);
    for (const d of pick) wanted.add(d);
  }
  const pulled = new Map<string, number>();
  const refs = new Map(plan.images.flatMap((i) => i.stages.map((s) => [s.digest, s.ref] as const)));
  for (const digest of wanted) {
    const ref = refs.get(digest) as string;
    if (await opts.engine.inspectImage(ref)) continue;
    const remote = opts.store.ref(digest);
    const { bytes } = await opts.engine.pull(remote);
    await opts.engine.tag(remote, ref);
    await opts.engine.removeImage(remote).catch(() => undefined);
    pulled.set(digest, bytes);
  }
  const images = plan.images.map((image) => {
    const stages: StageReport[] = image.stages.map((s) => ({
      name: s.name,
      digest: s.digest,
      status: pulled.has(s.digest) ? "pulled" : inRegistry.has(s.digest) ? "registry" : "missing",
      seconds: 0,
      bytesPulled: pulled.get(s.digest) ?? 0,
      bytesPushed: 0,
      reason: null,
    }));
    stages.forEach((s) => progress.stageFinished(image.image.name, s));
    return { name: image.image.name, digest: image.digest, ref: opts.store.ref(image.digest), manifestDigest: null, stages };
  });
  return { images, totals: totals(images, 0, (performance.now() - started) / 1000) };
}
