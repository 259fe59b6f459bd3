import { BuildError } from "../../errors.ts";
import type { Engine, LocalImage } from "../../engine/types.ts";
import type { Registry } from "../../registry/types.ts";
import type { BuildOptions } from "../builder.ts";
import { silentProgress, sourceOf } from "../builder.ts";
import { earlierBuilds, explainMiss, stageKey } from "../explain.ts";
import { buildStageLocally, type StageLabels } from "../local.ts";
import { stageRef } from "../names.ts";
import { planProject, type ImagePlan, type PlannedStage, type ProjectPlan } from "../plan.ts";
import { totals, type BuildReport, type ImageReport, type StageReport } from "../report.ts";
import { NeedsEngine, remoteStage, type RemoteContext } from "./append.ts";
import { publishFinalImage } from "./final.ts";
import { previousStages } from "./previous.ts";
import type { RegistryStageStore } from "./store.ts";

export interface DistributedOptions extends BuildOptions {
  store: RegistryStageStore;
  registryFor: RemoteContext["registryFor"];
  /** false: `push` and `stages push` publish what the engine has and build nothing. */
  build: boolean;
  /** Final image tags to write; empty for `stages push`. */
  tags: string[];
}

interface Walk {
  opts: DistributedOptions;
  plan: ProjectPlan;
  inRegistry: Set<string>;
  /** Local stage refs known to be in the engine (checked lazily: a no-change build never asks). */
  local: Map<string, boolean>;
  containers: number;
  /** Per image, the stages the first tag named before this build, for explanations. */
  previous: Map<string, Promise<Map<string, LocalImage>>>;
  /** Bytes moved to write final images (configs), counted in the totals. */
  finalBytes: { pulled: number; pushed: number };
}

function counters(registry: Registry) {
  return { pulled: registry.stats.bytesPulled, pushed: registry.stats.bytesPushed };
}

async function hasLocal(walk: Walk, stage: PlannedStage): Promise<boolean> {
  let known = walk.local.get(stage.digest);
  if (known === undefined) walk.local.set(stage.digest, (known = (await walk.opts.engine.inspectImage(stage.ref)) !== undefined));
  return known;
}

/** Makes a stage available in the engine, pulling it from the registry when needed. Returns bytes pulled. */
async function ensureLocal(walk: Walk, digest: string, localRef: string): Promise<number> {
  const engine: Engine = walk.opts.engine;
  if (walk.local.get(digest) || (await engine.inspectImage(localRef))) {
    walk.local.set(digest, true);
    return 0;
  }
  const remote = walk.opts.store.ref(digest);
  const { bytes } = await engine.pull(remote);
  await engine.tag(remote, localRef);
  walk.local.set(digest, true);
  return bytes;
}

/** Pushes a stage the engine built, unless another node published the digest first (then theirs is adopted). */
async function publishLocal(walk: Walk, stage: PlannedStage): Promise<{ bytes: number; adopted: boolean }> {
  const { store, engine } = walk.opts;
  if (await store.has(stage.digest)) {
    // Another node won: continue from theirs so every later stage builds on the published one.
    // (Should our copy stay, a later push carries its layers: every image stays complete.)
    await engine.removeImage(stage.ref).catch(() => undefined);
    walk.local.set(stage.digest, false);
    return { bytes: 0, adopted: true };
  }
  const remote = store.ref(stage.digest);
  await engine.tag(stage.ref, remote);
  const { uploaded } = await engine.push(remote);
  await engine.removeImage(remote).catch(() => undefined);
  walk.inRegistry.add(stage.digest);
  // What crossed the wire: the compressed sizes of the layers the engine uploaded. The engine
  // names layers by diff id; the manifest lists the same layers, in the same order, by blob.
  const [manifest, local] = await Promise.all([store.manifest(stage.digest), engine.inspectImage(stage.ref)]);
  const diffIds = local?.config.rootfs.diff_ids ?? [];
  const bytes = manifest.layers.filter((_, i) => uploaded.includes((diffIds[i] ?? "").slice(7, 19))).reduce((n, l) => n + l.size, 0);
  return { bytes, adopted: false };
}

async function buildOnEngine(walk: Walk, image: ImagePlan, i: number, meta: StageLabels, report: StageReport, reports: StageReport[]) {
  const stage = image.stages[i];
  const parent = image.stages[i - 1];
  if (parent) {
    const bytes = await ensureLocal(walk, parent.digest, parent.ref);
    // A stage found in the registry and pulled is `pulled`; one made in this run keeps its status.
    if (bytes > 0 && reports[i - 1].status === "registry") reports[i - 1].status = "pulled";
    reports[i - 1].bytesPulled += bytes;
  }
  const progress = walk.opts.progress ?? silentProgress;
  const applied = await buildStageLocally(walk.opts.engine, stage, parent?.ref, meta, (c) => progress.commandOutput(meta.image, stage.name, c));
  walk.local.set(stage.digest, true);
  walk.containers += applied.containersRun;
  report.status = applied.status;
  const published = await publishLocal(walk, stage);
  report.bytesPushed += published.bytes;
}

/**
 * Earlier builds of a stage to explain a rebuild against: the stages of the image the
 * first tag names now (registry reads only, so a stage made in the registry never
 * wakes the engine), else the engine's own builds.
 */
async function nearestBuilds(walk: Walk, image: ImagePlan, stageName: string): Promise<LocalImage[]> {
  const { opts, plan } = walk;
  if (opts.tags.length > 0) {
    let previous = walk.previous.get(image.image.name);
    if (!previous) walk.previous.set(image.image.name, (previous = previousStages(opts.store, image.image.name, opts.tags[0])));
    const earlier = await previous;
    const stage = earlier.get(stageName) ?? [...earlier].find(([name]) => stageKey(name) === stageKey(stageName))?.[1];
    if (stage) return [stage];
  }
  return earlierBuilds(opts.engine, plan.config.project, image.image.name, stageName).catch(() => []);
}

async function buildStage(walk: Walk, image: ImagePlan, i: number, reports: StageReport[]): Promise<void> {
  const { opts, plan } = walk;
  const stage = image.stages[i];
  const meta: StageLabels = { project: plan.config.project, image: image.image.name, gitCommit: plan.worktree?.commit };
  const report = reports[i];
  if (!opts.build) throw new BuildError(meta.image, stage.name, `stage ${stage.digest} is neither in the engine nor in the registry: build it first`);
  report.reason = explainMiss(stage, await nearestBuilds(walk, image, stage.name), image.stages[i - 1]?.name);
  (opts.progress ?? silentProgress).stageStarted(meta.image, stage.name, stage.digest, report.reason);
  const change = stage.stage.change();
  try {
    for (const source of stage.stage.kind === "imports" || stage.stage.readsNeeds ? stage.stage.needs?.() ?? [] : []) {
      report.bytesPulled += await ensureLocal(walk, source, stageRef(plan.config.project, source));
    }
    const { draft, borrowed } = await remoteStage({ store: opts.store, registryFor: opts.registryFor }, stage, change, meta);
    const outcome = await opts.store.publish(stage.digest, draft, borrowed);
    report.status = outcome === "adopted" ? "registry" : "appended";
    walk.inRegistry.add(stage.digest);
    walk.local.set(stage.digest, false);
  } catch (err) {
    if (!(err instanceof NeedsEngine)) throw err;
    await buildOnEngine(walk, image, i, meta, report, reports);
  }
}

async function walkImage(walk: Walk, image: ImagePlan): Promise<ImageReport> {
  const { opts } = walk;
  const progress = opts.progress ?? silentProgress;
  const reports: StageReport[] = [];
  for (let i = 0; i < image.stages.length; i++) {
    const stage = image.stages[i];
    const started = performance.now();
    const before = counters(opts.store.registry);
    const report: StageReport = { name: stage.name, digest: stage.digest, status: "registry", seconds: 0, bytesPulled: 0, bytesPushed: 0, reason: null, ...sourceOf(stage) };
    reports.push(report);
    if (!walk.inRegistry.has(stage.digest)) {
      if (await hasLocal(walk, stage)) {
        report.status = "local";
        report.bytesPushed += (await publishLocal(walk, stage)).bytes;
      } else {
        await buildStage(walk, image, i, reports);
      }
    }
    const after = counters(opts.store.registry);
    report.bytesPulled += after.pulled - before.pulled;
    report.bytesPushed += after.pushed - before.pushed;
    report.seconds = Math.round((performance.now() - started) / 10) / 100;
    progress.stageFinished(image.image.name, report);
  }
  const before = counters(opts.store.registry);
  const final = opts.tags.length > 0 ? await publishFinalImage(opts.store, image, opts.tags, walk.plan.config.project, walk.plan.worktree?.commitTime ?? "1970-01-01T00:00:00.000Z") : undefined;
  const after = counters(opts.store.registry);
  walk.finalBytes.pulled += after.pulled - before.pulled;
  walk.finalBytes.pushed += after.pushed - before.pushed;
  return {
    name: image.image.name,
    digest: image.digest,
    ref: final?.ref ?? opts.store.ref(image.digest),
    manifestDigest: final?.manifestDigest ?? null,
    stages: reports,
  };
}

/**
 * `bp`, `push` and `stages push`: every stage found in the registry is left
 * there (never pulled unless a later stage must run commands on it); stages that
 * only add files or change the config are made in the registry; only command
 * stages use the engine. Then the final tags are written from manifests.
 */
export async function distributedBuild(opts: DistributedOptions): Promise<BuildReport> {
  const started = performance.now();
  const plan = await planProject(opts.config, opts.images, opts);
  const all = plan.images.flatMap((i) => i.stages.map((s) => s.digest));
  const walk: Walk = { opts, plan, inRegistry: await opts.store.findMany(all), local: new Map(), previous: new Map(), containers: 0, finalBytes: { pulled: 0, pushed: 0 } };
  const images: ImageReport[] = [];
  // Images one after another, so each stage's byte counts are its own.
  for (const image of plan.images) images.push(await walkImage(walk, image));
  const report = { images, totals: totals(images, walk.containers, (performance.now() - started) / 1000) };
  report.totals.bytesPulled += walk.finalBytes.pulled;
  report.totals.bytesPushed += walk.finalBytes.pushed;
  return report;
}
