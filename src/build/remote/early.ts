/**
 * Overlap: the engine work a command stage waits for starts as early as it is known to
 * be needed. The parent a command stage runs on is pulled while the registry-only stages
 * before it are made, and a stage made in Node on the way to a command stage goes into
 * the engine from the bytes built here, never pulled back from the registry.
 */
import type { ImageConfigDocument } from "../../engine/types.ts";
import type { Layer } from "../layer.ts";
import { indexLayerDir } from "../layer-index-dir.ts";
import type { LayerIndex } from "../layer-index.ts";
import { stageRef } from "../names.ts";
import type { ImagePlan } from "../plan.ts";
import { SCRATCH } from "../scratch.ts";
import { stackBase, stackFromRegistry } from "./stacked.ts";
import { background, ensureLocal, firstToWait, pullEarly, pullStage, runsCommands, sharesChanges, type Walk } from "./walk.ts";

/** The first stage from `from` on that runs commands and is missing from the registry, if any. */
function nextCommandStage(walk: Walk, image: ImagePlan, from: number): number {
  const j = image.stages.findIndex((s, k) => k >= from && runsCommands(s));
  return j >= 0 && !walk.inRegistry.has(image.stages[j].digest) ? j : -1;
}

/** Whether stage i, made in the registry, must also be in the engine: a command stage runs on it (or on a stage made on it). */
export function engineWants(walk: Walk, image: ImagePlan, i: number): boolean {
  return nextCommandStage(walk, image, i + 1) >= 0 && walk.local.get(image.stages[i].digest) !== true;
}

/** The base image a stage starts from, when it is pulled by reference (not scratch, not another image of the project). */
export function pulledBase(image: ImagePlan, i: number): string | undefined {
  const change = image.stages[i].stage.change();
  return change.kind === "base" && !change.local && change.ref !== SCRATCH ? change.ref : undefined;
}

/**
 * Right after the registry lookup: starts the pulls this image's command stages will wait
 * for (the same set `stages pull` warms): the last stage the registry has before the
 * first missing one, or the base image when the first stage is missing; and the
 * registry's import sources of missing stages.
 */
export function fetchEarly(walk: Walk, image: ImagePlan): void {
  const first = image.stages.findIndex((s) => !walk.inRegistry.has(s.digest));
  if (first < 0) return;
  const project = walk.plan.config.project;
  for (const s of image.stages.slice(first)) {
    if (walk.inRegistry.has(s.digest) || !(s.stage.kind === "imports" || s.stage.readsNeeds)) continue;
    for (const d of s.stage.needs?.() ?? []) if (walk.inRegistry.has(d)) pullEarly(walk, d, stageRef(project, d));
  }
  if (nextCommandStage(walk, image, first) < 0) return;
  // A command stage will run: the engine is asked now, not when the first one is done.
  void sharesChanges(walk);
  if (first > 0) return stackOrPullEarly(walk, image.stages[first - 1].digest, image.stages[first - 1].ref);
  const base = pulledBase(image, 0);
  if (!base || walk.bases.has(base) || walk.baseStacks.has(base)) return;
  // Its layers unpacked here for stacking (./stacked.ts), else pulled by the engine.
  void stackBase(walk, base).then((stack) => {
    if (!stack && !walk.bases.has(base)) walk.bases.set(base, background(pullBase(walk, base)));
  });
}

/**
 * Starts getting a stage the registry has to where a command stage runs on it: its
 * layers unpacked for stacking (./stacked.ts), else pulled by the engine.
 */
export function stackOrPullEarly(walk: Walk, digest: string, localRef: string): void {
  if (walk.local.get(digest) || walk.arriving.has(digest)) return;
  const getting = (async () => (await stackFromRegistry(walk, digest, localRef).catch(() => undefined)) ?? (await pullStage(walk, digest, localRef)))();
  walk.arriving.set(digest, background(getting));
}

async function pullBase(walk: Walk, ref: string): Promise<number> {
  const { engine } = walk.opts;
  return (await engine.inspectImage(ref)) ? 0 : (await engine.pull(ref)).bytes;
}

/**
 * Puts stage i, just made in the registry as `doc` (plus `layer`, its new layer if
 * any), into the engine too: its parent first, then a load of the config and the one
 * new layer. Returns the bytes pulled to get it there (its parent's, if pulled).
 */
export async function loadMade(walk: Walk, image: ImagePlan, i: number, doc: ImageConfigDocument, layer: Layer | undefined): Promise<number> {
  const { engine } = walk.opts;
  const stage = image.stages[i];
  try {
    let bytes = 0;
    const base = pulledBase(image, i);
    if (base) {
      // Two images on one base: the first to wait for its pull counts the bytes.
      const pulling = walk.bases.get(base);
      bytes = pulling ? await firstToWait(walk.bases, base, pulling) : await pullBase(walk, base);
    } else {
      // fromImage: the other image's last stage; else the parent.
      const below = stage.parent ?? stage.stage.needs?.()[0];
      if (below) {
        const k = image.stages.findIndex((s) => s.digest === below);
        // Counted, as a pull of this stage would be, on the stage the command stage runs on.
        bytes += await ensureLocal(walk, below, k >= 0 ? image.stages[k].ref : stageRef(walk.plan.config.project, below));
      }
    }
    await engine.loadImage(doc, layer ? [layer] : [], [stage.ref]);
    return bytes;
  } finally {
    await layer?.dispose();
  }
}

/**
 * The layer indexes of base image `ref` read from the engine's unpacked copy (./append.ts),
 * when the engine is pulling it for a command stage anyway (fetchEarly started it): the
 * base is then downloaded once, by the engine, instead of once more to be indexed.
 * Undefined when the engine is not pulling it, the pull failed, or its layers cannot be read here.
 */
export function engineIndexes(walk: Walk, ref: string): Promise<{ diffId: string; index: LayerIndex }[] | undefined> {
  // Images on one base share its indexes: its layers are listed once per build.
  let reading = walk.baseIndexes.get(ref);
  if (!reading) walk.baseIndexes.set(ref, (reading = background(readEngineIndexes(walk, ref))));
  return reading;
}

async function readEngineIndexes(walk: Walk, ref: string): Promise<{ diffId: string; index: LayerIndex }[] | undefined> {
  const { engine } = walk.opts;
  // Unpacked here for stacking: indexed from those directories (bottom first).
  const stack = await walk.baseStacks.get(ref);
  if (stack) return Promise.all([...stack.dirs].reverse().map(async (dir, i) => ({ diffId: stack.diffIds[i], index: await indexLayerDir(dir) })));
  const pulling = walk.bases.get(ref);
  if (!pulling || !engine.layerDirs) return undefined;
  // Waited for, not taken: the stage that runs on the base counts the pull's bytes (loadMade).
  if ((await pulling.then(() => true, () => false)) === false) return undefined;
  const dirs = await engine.layerDirs(ref);
  if (!dirs) return undefined;
  return Promise.all(dirs.map(async ({ diffId, dir }) => ({ diffId, index: await indexLayerDir(dir) })));
}
