import type { DependencyCache } from "../../cache/types.ts";
import { BuildError } from "../../errors.ts";
import type { ImageConfigDocument, LocalImage } from "../../engine/types.ts";
import type { BuildOptions } from "../builder.ts";
import { STAGE_CHAINS_AT_ONCE, silentProgress, sourceOf } from "../builder.ts";
import { earlierBuilds, explainMiss, stageKey } from "../explain.ts";
import { buildStageLocally, type StageLabels } from "../local.ts";
import { stageRef } from "../names.ts";
import { planProject, type ImagePlan, type PlannedStage } from "../plan.ts";
import { totals, type BuildReport, type ImageReport, type StageReport } from "../report.ts";
import { remoteStage, type RemoteContext } from "./append.ts";
import { takeChanges, type TakenLayer } from "./changes.ts";
import { appendLayer, withConfig } from "../../image/index.ts";
import { publishFinalImage } from "./final.ts";
import { previousStages } from "./previous.ts";
import { remakeMissing, repairing } from "./repair.ts";
import type { RegistryStageStore } from "./store.ts";
import { engineIndexes, engineWants, fetchEarly } from "./early.ts";
import { baseImage, parentOnEngine, stackOrLoad } from "./stacked.ts";
import { annotated, KnownPaths } from "./known-paths.ts";
import { addPhase, timed, totalPhases } from "./phases.ts";
import pLimit from "p-limit";
import { tallied } from "../../registry/tally.ts";
import { runChains } from "../chains.ts";
import { background, checkLocalEarly, deferred, ensureLocal, hasLocal, publishLocal, runsCommands, sharesChanges, type Walk } from "./walk.ts";

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

async function buildOnEngine(walk: Walk, image: ImagePlan, i: number, meta: StageLabels, report: StageReport, reports: StageReport[], ready?: Ready) {
  const { engine } = walk.opts;
  const stage = image.stages[i];
  const parent = image.stages[i - 1];
  // The parent in the engine, or stacked there (./stacked.ts): then the run mounts its layers.
  const on = parent && (await timed(report, "pull", () => (runsCommands(stage) ? parentOnEngine(walk, parent.digest, parent.ref) : ensureLocal(walk, parent.digest, parent.ref).then((bytes) => ({ bytes, stacked: undefined })))));
  if (on) countPulled(reports[i - 1], on.bytes);
  // Loaded or pulled after all (dockerd starts the run, or commits it): counted on the parent, as a pull is.
  const stacked = on?.stacked && { dirs: on.stacked.dirs, config: on.stacked.doc, materialize: async () => (countPulled(reports[i - 1], await ensureLocal(walk, parent.digest, parent.ref)), parent.ref) };
  const progress = walk.opts.progress ?? silentProgress;
  const started = performance.now();
  let exited: number | undefined;
  let taken: TakenLayer | undefined;
  let handedOver = false;
  // Made and uploaded here (see ./changes.ts); loaded into the engine only for a later command stage.
  const keep = engineWants(walk, image, i);
  const take = parent && (await sharesChanges(walk)) ? async (upper: string) => {
    const { store } = walk.opts;
    // The blob goes to the registry as it is compressed (the `commit` phase holds both).
    taken = await timed(report, "commit", () => takeChanges(upper, keep, undefined, (chunks, digest) => store.registry.pushBlobStream(store.repository, chunks, digest)));
    // Not loaded by the executor: the load into the engine (for the later command stage) goes beside the registry's publish, below.
    return taken && { diffId: taken.layer?.diffId };
  } : undefined;
  try {
    const onOutput = (c: Buffer) => progress.commandOutput(meta.image, stage.name, c);
    const applied = await buildStageLocally(engine, stage, on?.stacked?.baseRef ?? parent?.ref, meta, onOutput, { exited: () => (exited = performance.now()), take, caches: walk.opts.caches, stacked });
    if (applied.cache) Object.assign(report, { cacheBytesRestored: applied.cache.bytesRestored, cacheBytesSaved: applied.cache.bytesSaved });
    if (exited !== undefined) {
      addPhase(report, "run", (exited - started) / 1000);
      if (!taken) addPhase(report, "commit", (performance.now() - exited) / 1000);
    }
    walk.containers += applied.containersRun;
    report.status = applied.status;
    walk.local.set(stage.digest, applied.inEngine);
    // A later command stage runs on this one: loaded from the layer just made while the registry gets it.
    if (taken && keep && !applied.inEngine) {
      walk.arriving.set(stage.digest, background(stackOrLoad(walk, image, i, applied.doc as ImageConfigDocument, taken.layer)));
      handedOver = true;
    }
    if (!taken) {
      report.bytesPushed += (await timed(report, "upload", () => publishLocal(walk, stage))).bytes;
      return;
    }
    const below = await walk.opts.store.read(parent.digest);
    if (taken.layer && taken.index) walk.known.remember(taken.layer.diffId, taken.index);
    const draft = await annotated(walk.known, taken.gz ? appendLayer(below.manifest, taken.gz, applied.doc as ImageConfigDocument) : withConfig(below.manifest, applied.doc as ImageConfigDocument));
    const streaming = new Map(taken.gz && taken.uploading ? [[taken.gz.digest, taken.uploading]] : []);
    const publishing = timed(report, "upload", () => walk.opts.store.publish(stage.digest, draft, [], { overwrite: walk.remaking.has(stage.digest), streaming, after: [parent.digest] }));
    // The next stage is made from the draft while the layer uploads; not when a command
    // stage follows, which runs on this stage in the engine (and on theirs, should theirs win).
    if (!keep) ready?.();
    const outcome = await publishing;
    walk.inRegistry.add(stage.digest);
    if (outcome === "adopted" && (applied.inEngine || handedOver)) await dropOurs(walk, stage.digest, stage.ref);
  } finally {
    // A layer handed to the engine's load is disposed of by it.
    if (!handedOver) await taken?.layer?.dispose();
  }
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

/**
 * Right after the registry lookup, for an image with stages to build: starts reading the
 * stages its first tag names now, which explain the rebuilds, while the work begins.
 */
function explainEarly(walk: Walk, image: ImagePlan): void {
  const { opts } = walk;
  const name = image.image.name;
  if (walk.previous.has(name) || image.stages.every((s) => walk.inRegistry.has(s.digest))) return;
  // Only the stages to build are read (of a six-stage image where the app changed, two).
  const missing = image.stages.filter((s) => !walk.inRegistry.has(s.digest)).map((s) => s.name);
  const reading = tallied(opts.store.registry.stats, () => previousStages(opts.store, name, opts.tags[0], undefined, missing)).then(({ value, tally }) => {
    walk.finalBytes.pulled += tally.pulled;
    return value;
  });
  walk.previous.set(name, background(reading));
}

async function buildStage(walk: Walk, image: ImagePlan, i: number, reports: StageReport[], ready?: Ready): Promise<void> {
  const { opts, plan } = walk;
  const stage = image.stages[i];
  const meta: StageLabels = { project: plan.config.project, image: image.image.name, gitCommit: plan.worktree?.commit, stageName: (d) => opts.store.ref(d) };
  const report = reports[i];
  if (!opts.build) throw new BuildError(meta.image, stage.name, `stage ${stage.digest} is neither in the engine nor in the registry: build it first`);
  // Why the stage is built, from the stages the image's tag named before (read since the
  // lookup). A stage that runs commands waits for it, to show it as it starts; a stage made
  // in Node (milliseconds) does not: its explanation arrives while it is made.
  const started = background(nearestBuilds(walk, image, stage.name).then((earlier) => {
    report.reason = explainMiss(stage, earlier, image.stages[i - 1]?.name);
    (opts.progress ?? silentProgress).stageStarted(meta.image, stage.name, stage.digest, report.reason);
  }));
  if (runsCommands(stage)) await started;
  const change = stage.stage.change();
  for (const source of stage.stage.kind === "imports" || stage.stage.readsNeeds ? stage.stage.needs?.() ?? [] : []) {
    report.bytesPulled += await timed(report, "pull", () => ensureLocal(walk, source, stageRef(plan.config.project, source)));
  }
  // A file layer loaded here has no registry blob the engine knows of: an engine push of a
  // later command stage would upload it again. So it goes this way only when command
  // stages' layers are uploaded by slipway (which writes their manifests itself).
  const toEngine = engineWants(walk, image, i) && (change.kind !== "files" || (await sharesChanges(walk)));
  const made = await remoteStage({ store: opts.store, registryFor: opts.registryFor, known: walk.known, engineIndexes: (ref) => engineIndexes(walk, ref), baseImage: (ref) => baseImage(walk, ref) }, stage, change, meta, { keepLayer: toEngine });
  if (!made.made) {
    await started;
    // Its parent may still be uploading (made in Node, it let this stage start): the engine
    // pulls the parent by its tag, so that must be written first.
    if (stage.parent) await opts.store.settled(stage.parent);
    return buildOnEngine(walk, image, i, meta, report, reports, ready);
  }
  const { draft, borrowed, layer, bytesPulled } = made;
  // A base image's layers indexed from another registry (the store's counts its own bytes).
  report.bytesPulled += bytesPulled ?? 0;
  // A later command stage runs on this one: it goes into the engine from what was made
  // here (the engine pulls nothing back), while the registry gets it.
  if (toEngine) walk.arriving.set(stage.digest, background(stackOrLoad(walk, image, i, draft.config, layer)));
  else walk.local.set(stage.digest, false);
  // Its tag waits for its parent's blobs too, which its manifest names (the parent may still be uploading).
  const publishing = timed(report, "upload", () => opts.store.publish(stage.digest, draft, borrowed, { overwrite: walk.remaking.has(stage.digest), after: stage.parent ? [stage.parent] : [] }));
  // The next stage is made from this draft while it uploads; not when a command stage
  // follows, which runs on this stage in the engine (and on theirs, should theirs win).
  if (!toEngine) ready?.({ freeSlot: newBytes(draft) <= SMALL_UPLOAD });
  const outcome = await publishing;
  await started;
  report.status = outcome === "adopted" ? "registry" : "appended";
  walk.inRegistry.add(stage.digest);
  if (outcome === "adopted" && toEngine) await dropOurs(walk, stage.digest, stage.ref);
}

/**
 * The next stage of the chain may start (see runChains). `freeSlot`: what is left of this
 * stage is an upload small enough not to count as work (a config, a few small files), so
 * its slot goes to the next stage; a large layer's upload keeps it, which bounds the
 * layers held in memory at once.
 */
type Ready = (opts?: { freeSlot?: boolean }) => void;

/** Uploads up to this size do not hold one of the build's slots. */
const SMALL_UPLOAD = 1 << 20;

function newBytes(draft: { newBlobs: { data: Uint8Array; size?: number }[] }): number {
  return draft.newBlobs.reduce((n, b) => n + (b.size ?? b.data.byteLength), 0);
}

/** Another node published the stage first: later stages build on theirs (pulled when needed), not on ours. */
async function dropOurs(walk: Walk, digest: string, ref: string): Promise<void> {
  await walk.arriving.get(digest)?.catch(() => 0);
  walk.arriving.delete(digest);
  walk.stacked.delete(digest);
  await walk.opts.engine.removeImage(ref).catch(() => undefined);
  walk.local.set(digest, false);
}

/** One stage: nothing to do when the registry has it; else publish the engine's copy, or build it. */
async function processStage(walk: Walk, image: ImagePlan, i: number, reports: StageReport[], ready?: Ready): Promise<void> {
  const stage = image.stages[i];
  if (walk.inRegistry.has(stage.digest)) return;
  if (await hasLocal(walk, stage)) {
    reports[i].status = "local";
    reports[i].bytesPushed += (await timed(reports[i], "upload", () => publishLocal(walk, stage))).bytes;
  } else {
    await buildStage(walk, image, i, reports, ready);
  }
}

function newReport(stage: PlannedStage): StageReport {
  return { name: stage.name, digest: stage.digest, status: "registry", seconds: 0, bytesPulled: 0, bytesPushed: 0, reason: null, ...sourceOf(stage) };
}

/** Makes a planned stage again after a cleanup deleted it under this build (see ./repair.ts). */
function remake(walk: Walk, digest: string): Promise<boolean> {
  // Two images found the same stage gone at once: the second waits for the first's remake.
  const pending = walk.remakes.get(digest);
  if (pending) return pending.catch(() => false);
  const remaking = remakeOnce(walk, digest);
  walk.remakes.set(digest, remaking);
  return remaking.finally(() => walk.remakes.delete(digest));
}

async function remakeOnce(walk: Walk, digest: string): Promise<boolean> {
  for (const image of walk.plan.images) {
    const i = image.stages.findIndex((s) => s.digest === digest);
    if (i < 0) continue;
    const forget = async () => {
      walk.inRegistry.delete(digest);
      walk.local.delete(digest);
      // Engine work on its way for the stage is let finish (nothing runs on after the build).
      await walk.arriving.get(digest)?.catch(() => 0);
      walk.arriving.delete(digest);
      walk.stacked.delete(digest);
      walk.opts.store.forget(digest);
      return true;
    };
    await forget();
    // A stage this build already walked gets its report updated; else the remake goes unreported.
    let reports = walk.reports.get(image.image.name);
    if (!reports || !walk.begun.has(reports[i])) reports = image.stages.map(newReport);
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

/**
 * Writes the image's tags. `early`: started while its last stage (made in Node) uploads;
 * the tag is written once every stage is in (`stagesIn`), and not at all if one fails.
 */
async function publishFinal(walk: Walk, image: ImagePlan, early?: { stagesIn: Promise<void> }): Promise<{ ref: string; manifestDigest: string } | undefined> {
  const { opts } = walk;
  if (opts.tags.length === 0) return undefined;
  const created = walk.plan.worktree?.commitTime ?? "1970-01-01T00:00:00.000Z";
  let started = performance.now();
  // The manifests phase is the time past the stages' own: the overlap is not counted twice.
  early?.stagesIn.then(() => (started = Math.max(started, performance.now())), () => undefined);
  const rebuilt = early !== undefined || walk.reports.get(image.image.name)?.some((r) => r.status !== "registry");
  const before = early && background(early.stagesIn.catch(() => {
    throw new NotStarted();
  }));
  const { value: final, tally } = await tallied(opts.store.registry.stats, () =>
    repairing((d) => remake(walk, d), () => publishFinalImage(opts.store, image, opts.tags, walk.plan.config.project, created, { rebuilt, before })),
  );
  walk.manifestSeconds += (performance.now() - started) / 1000;
  walk.finalBytes.pulled += tally.pulled;
  walk.finalBytes.pushed += tally.pushed;
  return final;
}

/**
 * One stage of one image, once the stages it reads from other images are done. A stage
 * another image or chain is making right now is waited for, not made twice; the stage's
 * own work takes one of the build's slots, so no more than that many run at once.
 */
async function walkStage(walk: Walk, image: ImagePlan, i: number, reports: StageReport[], ready?: Ready): Promise<void> {
  const { opts } = walk;
  const stage = image.stages[i];
  const report = reports[i];
  for (const d of stage.stage.needs?.() ?? []) await walk.done.get(d)?.promise;
  // Another image failed: what has started finishes, nothing more starts.
  if (walk.failure) throw new NotStarted();
  // The stage's own time: from when its work starts (a slot free), not from when it queued.
  let started = performance.now();
  walk.begun.add(report);
  const { tally } = await tallied(opts.store.registry.stats, async () => {
    const other = walk.making.get(stage.digest);
    if (other) await other.catch(() => undefined);
    if (other && walk.inRegistry.has(stage.digest)) return;
    // The slot is held until the stage is done, or until only a small upload is left of it.
    let rest: Promise<void> | undefined;
    const making = walk.slots(() => new Promise<void>((freed) => {
      if (walk.failure) throw new NotStarted();
      started = performance.now();
      rest = repairing((d) => remake(walk, d), () => processStage(walk, image, i, reports, (o) => (o?.freeSlot && freed(), ready?.())));
      rest.then(() => freed(), () => freed());
    })).then(() => rest);
    walk.making.set(stage.digest, making);
    try {
      await making;
    } finally {
      if (walk.making.get(stage.digest) === making) walk.making.delete(stage.digest);
    }
  });
  report.bytesPulled += tally.pulled;
  report.bytesPushed += tally.pushed;
  report.seconds = Math.round((performance.now() - started) / 10) / 100;
  (opts.progress ?? silentProgress).stageFinished(image.image.name, report);
}

/** A stage not started because another failed first. */
class NotStarted extends Error {}

async function walkImage(walk: Walk, image: ImagePlan): Promise<ImageReport> {
  const { opts } = walk;
  const reports = image.stages.map(newReport);
  walk.reports.set(image.image.name, reports);
  let final: Awaited<ReturnType<typeof publishFinal>>;
  // The last stage made in Node and readable: the final image's config goes up meanwhile.
  // (Started from here, not from the stage, so its bytes are not counted as the stage's.)
  const stagesIn = deferred();
  let lastReady!: () => void;
  let early: Promise<Awaited<ReturnType<typeof publishFinal>>> | undefined;
  const readied = new Promise<void>((resolve) => (lastReady = resolve));
  void readied.then(() => {
    early = background(publishFinal(walk, image, { stagesIn: stagesIn.promise }));
  });
  const last = image.stages.length - 1;
  try {
    // Independent chains (a Dockerfile's build stages) at once; the build's slots bound the work.
    await runChains(image.stages, Infinity, async (i, ready) => {
      await walkStage(walk, image, i, reports, i === last ? () => (ready(), lastReady()) : ready);
      walk.done.get(image.stages[i].digest)?.resolve();
    });
    stagesIn.resolve();
    final = await (early ?? publishFinal(walk, image));
  } catch (err) {
    stagesIn.reject(new NotStarted());
    await early?.catch(() => undefined);
    if (!(err instanceof NotStarted)) walk.failure ??= err;
    // Stages after the failure are never walked: whatever waits for them (another image's
    // stage that reads this image's) learns it now, instead of waiting forever.
    for (const s of image.stages) walk.done.get(s.digest)?.reject(err);
    throw err;
  }
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
    opts, plan, inRegistry: await opts.store.findMany(all, { read: opts.build }), local: new Map(), localChecks: new Map(), previous: new Map(), containers: 0,
    finalBytes: { pulled: 0, pushed: 0 }, reports: new Map(), remaking: new Set(), arriving: new Map(), bases: new Map(), baseIndexes: new Map(), manifestSeconds: 0,
    known: new KnownPaths(), making: new Map(), remakes: new Map(), begun: new WeakSet(), done: new Map(all.map((d) => [d, deferred()])),
    slots: pLimit(Math.max(1, opts.stageChains ?? STAGE_CHAINS_AT_ONCE)), stacked: new Map(), cleanups: [], unpacked: new Map(), baseImages: new Map(), baseStacks: new Map(),
  };
  if (opts.build) for (const image of plan.images) fetchEarly(walk, image);
  for (const image of plan.images) checkLocalEarly(walk, image.stages);
  if (opts.build && opts.tags.length > 0) for (const image of plan.images) explainEarly(walk, image);
  let images: ImageReport[] = [];
  try {
    // Independent images (and artifacts) at once; a stage that reads another image's waits for it.
    const settled = await Promise.allSettled(plan.images.map((image) => walkImage(walk, image)));
    // Every failure is recorded there: the first is the one to report, not a stage it kept from starting.
    if (walk.failure) throw walk.failure;
    images = settled.map((s) => (s as PromiseFulfilledResult<ImageReport>).value);
    await completeImages(walk, images);
  } finally {
    // Nothing keeps working on the engine after the build returns.
    await Promise.allSettled([...walk.arriving.values(), ...walk.bases.values(), ...walk.previous.values(), ...walk.localChecks.values(), opts.engine.settle?.(),
      ...walk.baseStacks.values(), ...walk.unpacked.values(), walk.stackingRoot]);
    await Promise.allSettled(walk.cleanups.map((c) => c()));
  }
  const report = { images, totals: totals(images, walk.containers, (performance.now() - started) / 1000) };
  report.totals.bytesPulled += walk.finalBytes.pulled;
  report.totals.bytesPushed += walk.finalBytes.pushed;
  report.totals.phases = totalPhases(images, walk.manifestSeconds);
  return report;
}
