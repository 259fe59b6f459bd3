import type { DependencyCache } from "../../cache/types.ts";
import { BuildError } from "../../errors.ts";
import type { ImageConfigDocument, LocalImage } from "../../engine/types.ts";
import type { BuildOptions } from "../builder.ts";
import { silentProgress, sourceOf } from "../builder.ts";
import { earlierBuilds, explainMiss, stageKey } from "../explain.ts";
import { buildStageLocally, type StageLabels } from "../local.ts";
import { stageRef } from "../names.ts";
import { planProject, type ImagePlan, type PlannedStage } from "../plan.ts";
import { totals, type BuildReport, type ImageReport, type StageReport } from "../report.ts";
import { NeedsEngine, remoteStage, type RemoteContext } from "./append.ts";
import { takeChanges, type TakenLayer } from "./changes.ts";
import { appendLayer, withConfig } from "../../image/index.ts";
import { publishFinalImage } from "./final.ts";
import { previousStages } from "./previous.ts";
import { remakeMissing, repairing } from "./repair.ts";
import type { RegistryStageStore } from "./store.ts";
import { engineWants, fetchEarly, loadMade } from "./early.ts";
import { annotated, KnownPaths } from "./known-paths.ts";
import { addPhase, timed, totalPhases } from "./phases.ts";
import { background, counters, ensureLocal, hasLocal, publishLocal, type Walk } from "./walk.ts";

export interface DistributedOptions extends BuildOptions {
  store: RegistryStageStore;
  registryFor: RemoteContext["registryFor"];
  /** false: `push` and `stages push` publish what the engine has and build nothing. */
  build: boolean;
  /** Final image tags to write; empty for `stages push`. */
  tags: string[];
  /** Where dependency caches live (the stages repository); without it they stay on the node. */
  caches?: DependencyCache;
}

async function buildOnEngine(walk: Walk, image: ImagePlan, i: number, meta: StageLabels, report: StageReport, reports: StageReport[]) {
  const { engine } = walk.opts;
  const stage = image.stages[i];
  const parent = image.stages[i - 1];
  if (parent) {
    const bytes = await timed(report, "pull", () => ensureLocal(walk, parent.digest, parent.ref));
    countPulled(reports[i - 1], bytes);
  }
  const progress = walk.opts.progress ?? silentProgress;
  const started = performance.now();
  let exited: number | undefined;
  let taken: TakenLayer | undefined;
  // Made and uploaded here (see ./changes.ts); loaded into the engine only for a later command stage.
  const keep = engineWants(walk, image, i);
  const take = parent && (await sharesChanges(walk)) ? async (upper: string) => {
    taken = await timed(report, "commit", () => takeChanges(upper, keep));
    return taken && { diffId: taken.layer?.diffId, load: keep ? taken.layer : undefined };
  } : undefined;
  try {
    const onOutput = (c: Buffer) => progress.commandOutput(meta.image, stage.name, c);
    const applied = await buildStageLocally(engine, stage, parent?.ref, meta, onOutput, { exited: () => (exited = performance.now()), take, caches: walk.opts.caches });
    if (applied.cache) Object.assign(report, { cacheBytesRestored: applied.cache.bytesRestored, cacheBytesSaved: applied.cache.bytesSaved });
    if (exited !== undefined) {
      addPhase(report, "run", (exited - started) / 1000);
      if (!taken) addPhase(report, "commit", (performance.now() - exited) / 1000);
    }
    walk.containers += applied.containersRun;
    report.status = applied.status;
    walk.local.set(stage.digest, applied.inEngine);
    if (!taken) {
      report.bytesPushed += (await timed(report, "upload", () => publishLocal(walk, stage))).bytes;
      return;
    }
    const below = await walk.opts.store.read(parent.digest);
    if (taken.layer && taken.index) walk.known.remember(taken.layer.diffId, taken.index);
    const draft = await annotated(walk.known, taken.gz ? appendLayer(below.manifest, taken.gz, applied.doc as ImageConfigDocument) : withConfig(below.manifest, applied.doc as ImageConfigDocument));
    const outcome = await timed(report, "upload", () => walk.opts.store.publish(stage.digest, draft, [], { overwrite: walk.remaking.has(stage.digest) }));
    walk.inRegistry.add(stage.digest);
    if (outcome === "adopted" && applied.inEngine) await dropOurs(walk, stage.digest, stage.ref);
  } finally {
    await taken?.layer?.dispose();
  }
}

/** Whether command stages' layers are made here from the container's files (asked once per build). */
function sharesChanges(walk: Walk): Promise<boolean> {
  walk.sharesChanges ??= walk.opts.engine.sharesChanges?.() ?? Promise.resolve(false);
  return walk.sharesChanges;
}

/** A stage found in the registry and pulled is `pulled`; one made in this run keeps its status. */
function countPulled(report: StageReport, bytes: number): void {
  if (bytes > 0 && report.status === "registry") report.status = "pulled";
  report.bytesPulled += bytes;
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
  const meta: StageLabels = { project: plan.config.project, image: image.image.name, gitCommit: plan.worktree?.commit, stageName: (d) => opts.store.ref(d) };
  const report = reports[i];
  if (!opts.build) throw new BuildError(meta.image, stage.name, `stage ${stage.digest} is neither in the engine nor in the registry: build it first`);
  report.reason = explainMiss(stage, await nearestBuilds(walk, image, stage.name), image.stages[i - 1]?.name);
  (opts.progress ?? silentProgress).stageStarted(meta.image, stage.name, stage.digest, report.reason);
  const change = stage.stage.change();
  try {
    for (const source of stage.stage.kind === "imports" || stage.stage.readsNeeds ? stage.stage.needs?.() ?? [] : []) {
      report.bytesPulled += await timed(report, "pull", () => ensureLocal(walk, source, stageRef(plan.config.project, source)));
    }
    // A file layer loaded here has no registry blob the engine knows of: an engine push of a
    // later command stage would upload it again. So it goes this way only when command
    // stages' layers are uploaded by slipway (which writes their manifests itself).
    const toEngine = engineWants(walk, image, i) && (change.kind !== "files" || (await sharesChanges(walk)));
    const { draft, borrowed, layer, bytesPulled } = await remoteStage({ store: opts.store, registryFor: opts.registryFor, known: walk.known }, stage, change, meta, { keepLayer: toEngine });
    // A base image's layers indexed from another registry (the store's counts its own bytes).
    report.bytesPulled += bytesPulled ?? 0;
    // A later command stage runs on this one: it goes into the engine from what was made
    // here (the engine pulls nothing back), while the registry gets it.
    if (toEngine) walk.arriving.set(stage.digest, background(loadMade(walk, image, i, draft.config, layer)));
    else walk.local.set(stage.digest, false);
    const outcome = await timed(report, "upload", () => opts.store.publish(stage.digest, draft, borrowed, { overwrite: walk.remaking.has(stage.digest) }));
    report.status = outcome === "adopted" ? "registry" : "appended";
    walk.inRegistry.add(stage.digest);
    if (outcome === "adopted" && toEngine) await dropOurs(walk, stage.digest, stage.ref);
  } catch (err) {
    if (!(err instanceof NeedsEngine)) throw err;
    await buildOnEngine(walk, image, i, meta, report, reports);
  }
}

/** Another node published the stage first: later stages build on theirs (pulled when needed), not on ours. */
async function dropOurs(walk: Walk, digest: string, ref: string): Promise<void> {
  await walk.arriving.get(digest)?.catch(() => 0);
  walk.arriving.delete(digest);
  await walk.opts.engine.removeImage(ref).catch(() => undefined);
  walk.local.set(digest, false);
}

/** One stage: nothing to do when the registry has it; else publish the engine's copy, or build it. */
async function processStage(walk: Walk, image: ImagePlan, i: number, reports: StageReport[]): Promise<void> {
  const stage = image.stages[i];
  if (walk.inRegistry.has(stage.digest)) return;
  if (await hasLocal(walk, stage)) {
    reports[i].status = "local";
    reports[i].bytesPushed += (await timed(reports[i], "upload", () => publishLocal(walk, stage))).bytes;
  } else {
    await buildStage(walk, image, i, reports);
  }
}

function newReport(stage: PlannedStage): StageReport {
  return { name: stage.name, digest: stage.digest, status: "registry", seconds: 0, bytesPulled: 0, bytesPushed: 0, reason: null, ...sourceOf(stage) };
}

/** Makes a planned stage again after a cleanup deleted it under this build (see ./repair.ts). */
async function remake(walk: Walk, digest: string): Promise<boolean> {
  // A stage that vanishes again while it is being remade is not chased in circles.
  if (walk.remaking.has(digest)) return false;
  for (const image of walk.plan.images) {
    const i = image.stages.findIndex((s) => s.digest === digest);
    if (i < 0) continue;
    const forget = async () => {
      walk.inRegistry.delete(digest);
      walk.local.delete(digest);
      walk.opts.store.forget(digest);
      return true;
    };
    await forget();
    let reports = walk.reports.get(image.image.name);
    if (!reports || reports.length <= i) reports = image.stages.map(newReport);
    walk.remaking.add(digest);
    try {
      // Gone again while being remade (a cleanup deleted the identical manifest we pushed): once more.
      await repairing((d) => (d === digest ? forget() : remake(walk, d)), () => processStage(walk, image, i, reports));
    } finally {
      walk.remaking.delete(digest);
    }
    return true;
  }
  return false;
}

async function publishFinal(walk: Walk, image: ImagePlan): Promise<{ ref: string; manifestDigest: string } | undefined> {
  const { opts } = walk;
  if (opts.tags.length === 0) return undefined;
  const before = counters(opts.store.registry);
  const created = walk.plan.worktree?.commitTime ?? "1970-01-01T00:00:00.000Z";
  const started = performance.now();
  const final = await repairing((d) => remake(walk, d), () => publishFinalImage(opts.store, image, opts.tags, walk.plan.config.project, created));
  walk.manifestSeconds += (performance.now() - started) / 1000;
  const after = counters(opts.store.registry);
  walk.finalBytes.pulled += after.pulled - before.pulled;
  walk.finalBytes.pushed += after.pushed - before.pushed;
  return final;
}

async function walkImage(walk: Walk, image: ImagePlan): Promise<ImageReport> {
  const { opts } = walk;
  const progress = opts.progress ?? silentProgress;
  const reports: StageReport[] = [];
  walk.reports.set(image.image.name, reports);
  for (let i = 0; i < image.stages.length; i++) {
    const started = performance.now();
    const before = counters(opts.store.registry);
    const report = newReport(image.stages[i]);
    reports.push(report);
    await repairing((d) => remake(walk, d), () => processStage(walk, image, i, reports));
    const after = counters(opts.store.registry);
    report.bytesPulled += after.pulled - before.pulled;
    report.bytesPushed += after.pushed - before.pushed;
    report.seconds = Math.round((performance.now() - started) / 10) / 100;
    progress.stageFinished(image.image.name, report);
  }
  const final = await publishFinal(walk, image);
  return {
    name: image.image.name,
    digest: image.digest,
    ref: final?.ref ?? opts.store.ref(image.digest),
    manifestDigest: final?.manifestDigest ?? null,
    stages: reports,
  };
}

/**
 * After the last tag: every stage still there? A cleanup may have deleted an old stage this
 * build reused without reading; it is made again and the images over it tagged again.
 */
async function completeImages(walk: Walk, images: ImageReport[]): Promise<void> {
  const all = walk.plan.images.flatMap((i) => i.stages.map((s) => s.digest));
  for (let round = 0; round < 3; round++) {
    const remade = await remakeMissing(all, (d) => walk.opts.store.findMany(d), (d) => remake(walk, d));
    if (remade.size === 0) return;
    for (const [n, image] of walk.plan.images.entries()) {
      if (!image.stages.some((s) => remade.has(s.digest))) continue;
      const final = await publishFinal(walk, image);
      if (final) Object.assign(images[n], final);
    }
  }
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
  const walk: Walk = {
    opts, plan, inRegistry: await opts.store.findMany(all), local: new Map(), previous: new Map(), containers: 0,
    finalBytes: { pulled: 0, pushed: 0 }, reports: new Map(), remaking: new Set(), arriving: new Map(), bases: new Map(), manifestSeconds: 0,
    known: new KnownPaths(),
  };
  if (opts.build) for (const image of plan.images) fetchEarly(walk, image);
  const images: ImageReport[] = [];
  try {
    // Images one after another, so each stage's byte counts are its own.
    for (const image of plan.images) images.push(await walkImage(walk, image));
    await completeImages(walk, images);
  } finally {
    // Nothing keeps working on the engine after the build returns.
    await Promise.allSettled([...walk.arriving.values(), ...walk.bases.values()]);
  }
  const report = { images, totals: totals(images, walk.containers, (performance.now() - started) / 1000) };
  report.totals.bytesPulled += walk.finalBytes.pulled;
  report.totals.bytesPushed += walk.finalBytes.pushed;
  report.totals.phases = totalPhases(images, walk.manifestSeconds);
  return report;
}
