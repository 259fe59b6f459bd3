import type { ToolchainSource } from "../ansible/toolchain.ts";
import type { ProjectConfig } from "../config/types.ts";
import type { Engine } from "../engine/types.ts";
import { runChains } from "./chains.ts";
import { earlierBuilds, explainMiss } from "./explain.ts";
import { imageRepo } from "./names.ts";
import { EngineStageCache } from "./cache/engine.ts";
import type { StageCache } from "./cache/types.ts";
import { executeStage } from "./exec/index.ts";
import { writeFinalImage } from "./local.ts";
import { stageRef } from "./names.ts";
import { planProject, type BaseResolver, type ImagePlan, type PlannedStage, type ProjectPlan } from "./plan.ts";
import { totals, type BuildReport, type ImageReport, type StageReport } from "./report.ts";

/** Where progress goes: human output on stderr, in whatever form the edge chose. */
export interface ProgressSink {
  stageStarted(image: string, stage: string, digest: string, reason: string | null): void;
  stageFinished(image: string, report: StageReport): void;
  commandOutput(image: string, stage: string, chunk: Buffer): void;
}

export const silentProgress: ProgressSink = { stageStarted() {}, stageFinished() {}, commandOutput() {} };

export interface BuildOptions {
  config: ProjectConfig;
  /** Image names to plan/build (with what they need); empty = all. */
  images: string[];
  engine: Engine;
  resolveBase: BaseResolver;
  buildDir: string;
  progress?: ProgressSink;
  /** How many independent chains of an image's stages `build` runs at once (default STAGE_CHAINS_AT_ONCE). */
  stageChains?: number;
  /** A registry stage cache to consult too (`plan --repo`). */
  remote?: Pick<StageCache, "findMany">;
  /** Where `build` finds and keeps stages: the engine's own images unless given. */
  cache?: StageCache;
  /** The Ansible toolchain for ansible stages (with a stages repository: src/build/wiring.ts); default: this node's. */
  ansibleToolchain?: ToolchainSource;
}

/** A Dockerfile stage's report says where its instruction is written. */
export function sourceOf(stage: PlannedStage): { source?: string } {
  return stage.stage.source ? { source: stage.stage.source } : {};
}

function seconds(since: number): number {
  return Math.round((performance.now() - since) / 10) / 100;
}

async function reasonFor(engine: Engine, plan: ProjectPlan, image: ImagePlan, index: number): Promise<string> {
  const stage = image.stages[index];
  const candidates = await earlierBuilds(engine, plan.config.project, image.image.name, stage.name);
  return explainMiss(stage, candidates, image.stages[index - 1]?.name);
}

/** `slipway plan`: every stage with its digest, whether the engine has it, and why it must be built. */
export async function planImages(opts: BuildOptions): Promise<BuildReport> {
  const started = performance.now();
  const plan = await planProject(opts.config, opts.images, opts);
  const inRegistry = (await opts.remote?.findMany(plan.images.flatMap((i) => i.stages.map((s) => s.digest)))) ?? new Set<string>();
  const cache = cacheOf(opts, plan);
  const images: ImageReport[] = [];
  for (const image of plan.images) {
    const stages: StageReport[] = [];
    for (let i = 0; i < image.stages.length; i++) {
      const stage = image.stages[i];
      const local = await cache.find(stage.digest);
      const status = local ? "local" : inRegistry.has(stage.digest) ? "registry" : "missing";
      const reason = status === "missing" ? await reasonFor(opts.engine, plan, image, i) : null;
      stages.push({ name: stage.name, digest: stage.digest, status, seconds: 0, bytesPulled: 0, bytesPushed: 0, reason, ...sourceOf(stage) });
    }
    images.push({ name: image.image.name, digest: image.digest, ref: finalRef(plan, image), manifestDigest: null, stages });
  }
  return { images, totals: totals(images, 0, seconds(started)) };
}

function cacheOf(opts: BuildOptions, plan: ProjectPlan): StageCache {
  return opts.cache ?? new EngineStageCache(opts.engine, plan.config.project);
}

/** The stages a stage is made from (its parent, and the sources it reads), fetched into the engine. */
async function fetchInputs(cache: StageCache, plan: ProjectPlan, image: ImagePlan, i: number): Promise<void> {
  const stage = image.stages[i];
  // A root stage (a Dockerfile's FROM) has no parent, whatever stage comes before it.
  if (stage.parent) await cache.fetch(stage.parent, stageRef(plan.config.project, stage.parent));
  const reads = stage.stage.kind === "imports" || stage.stage.readsNeeds ? stage.stage.needs?.() ?? [] : [];
  for (const source of reads) await cache.fetch(source, stageRef(plan.config.project, source));
}

function finalRef(plan: ProjectPlan, image: ImagePlan): string {
  return `${imageRepo(plan.config.project, image.image.name)}:${image.digest}`;
}

/** Independent chains of stages (a Dockerfile's build stages) built at once, at most this many. */
export const STAGE_CHAINS_AT_ONCE = 3;

/** Stages being made right now, by digest: a stage two chains or images share is made once. */
type InFlight = Map<string, Promise<Made>>;

interface Made {
  status: StageReport["status"];
  reason: string | null;
  containers: number;
}

/** Makes one missing stage on the engine and keeps it in the stage cache; a failed stage is thrown. */
async function makeStage(opts: BuildOptions, plan: ProjectPlan, image: ImagePlan, i: number, cache: StageCache): Promise<Made> {
  const progress = opts.progress ?? silentProgress;
  const name = image.image.name;
  const stage = image.stages[i];
  const reason = await reasonFor(opts.engine, plan, image, i);
  progress.stageStarted(name, stage.name, stage.digest, reason);
  await fetchInputs(cache, plan, image, i);
  const result = await executeStage({
    engine: opts.engine, stage, parentRef: image.stages[i - 1]?.ref,
    meta: { project: plan.config.project, image: name, gitCommit: plan.worktree?.commit },
    onOutput: (chunk) => progress.commandOutput(name, stage.name, chunk),
  });
  // A build stops at its first failed stage; the stages before it stay cached.
  if (!result.ok) throw result.error;
  await cache.publish(stage.digest, stage.ref);
  return { status: result.status, reason, containers: result.containersRun };
}

async function buildImage(opts: BuildOptions, plan: ProjectPlan, image: ImagePlan, inFlight: InFlight): Promise<{ report: ImageReport; containers: number }> {
  const progress = opts.progress ?? silentProgress;
  const name = image.image.name;
  const cache = cacheOf(opts, plan);
  const built = await runChains(image.stages, opts.stageChains ?? STAGE_CHAINS_AT_ONCE, async (i) => {
    const stage = image.stages[i];
    const started = performance.now();
    // Another chain or image is making this very stage: wait for it, then find it (or make it, had it failed).
    await inFlight.get(stage.digest)?.catch(() => undefined);
    let made: Made = { status: "local", reason: null, containers: 0 };
    if (!(await cache.find(stage.digest))) {
      const making = inFlight.get(stage.digest) ?? makeStage(opts, plan, image, i, cache);
      if (!inFlight.has(stage.digest)) {
        inFlight.set(stage.digest, making);
        made = await making.finally(() => inFlight.delete(stage.digest));
      } else {
        await making;
      }
    }
    const report: StageReport = { name: stage.name, digest: stage.digest, status: made.status, seconds: seconds(started), bytesPulled: 0, bytesPushed: 0, reason: made.reason, ...sourceOf(stage) };
    progress.stageFinished(name, report);
    return { report, containers: made.containers };
  });
  const stages = built.map((b) => b.report);
  const containers = built.reduce((n, b) => n + b.containers, 0);
  const repo = imageRepo(plan.config.project, name);
  const ref = `${repo}:${image.digest}`;
  await writeFinalImage(opts.engine, image.stages.at(-1)!.ref, [ref, `${repo}:latest`]);
  return { report: { name, digest: image.digest, ref, manifestDigest: null, stages }, containers };
}

/**
 * `slipway build`: builds what the engine lacks, images in dependency order and
 * independent images concurrently. A failed stage records nothing for itself; the
 * stages before it stay, so a fixed build resumes from there.
 */
export async function buildImages(opts: BuildOptions): Promise<BuildReport> {
  const started = performance.now();
  const plan = await planProject(opts.config, opts.images, opts);
  const running = new Map<string, Promise<{ report: ImageReport; containers: number }>>();
  const inFlight: InFlight = new Map();
  for (const image of plan.images) {
    const deps = image.dependsOn.map((d) => running.get(d)).filter((p) => p !== undefined);
    running.set(image.image.name, Promise.all(deps).then(() => buildImage(opts, plan, image, inFlight)));
  }
  const settled = await Promise.allSettled(running.values());
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  const done = settled.map((s) => (s as PromiseFulfilledResult<{ report: ImageReport; containers: number }>).value);
  const images = done.map((d) => d.report);
  return { images, totals: totals(images, done.reduce((n, d) => n + d.containers, 0), seconds(started)) };
}
