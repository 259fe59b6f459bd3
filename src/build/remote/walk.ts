import type { BaseImage } from "./append.ts";
import type { BaseStack, Stacked } from "./stacked.ts";
import type { LimitFunction } from "p-limit";
import { KnownPaths, LAYER_INDEX_ANNOTATION } from "./known-paths.ts";
import type { LayerIndex } from "../layer-index.ts";
import type { Engine, LocalImage } from "../../engine/types.ts";
import type { PlannedStage, ProjectPlan } from "../plan.ts";
import type { StageReport } from "../report.ts";
import type { DistributedOptions } from "./distributed.ts";
import { StageGoneError } from "./store.ts";

/** The state of one distributed build: what is where, and what has been counted. */
export interface Walk {
  opts: DistributedOptions;
  plan: ProjectPlan;
  inRegistry: Set<string>;
  /** Local stage refs known to be in the engine (checked lazily: a no-change build never asks). */
  local: Map<string, boolean>;
  /** Engine lookups of stages under way (see checkLocalEarly), by digest. */
  localChecks: Map<string, Promise<boolean>>;
  containers: number;
  /** Per image, the stages the first tag named before this build, for explanations. */
  previous: Map<string, Promise<Map<string, LocalImage>>>;
  /** Bytes moved outside any stage's own work (final images' configs, earlier builds read to explain rebuilds), counted in the totals. */
  finalBytes: { pulled: number; pushed: number };
  /** Per image name, the stage reports made so far (a repaired stage updates its own). */
  reports: Map<string, StageReport[]>;
  /** Stages being made again right now (see ./repair.ts). */
  remaking: Set<string>;
  /** The remakes under way, by digest: a second image that finds the stage gone waits for the first's. */
  remakes: Map<string, Promise<boolean>>;
  /** The first stage failure: once set, no further stage starts. */
  failure?: unknown;
  /**
   * Stages on their way into the engine (a pull started early, or a stage made in Node
   * being loaded), by digest; each resolves to the bytes pulled. The first stage to
   * wait for one counts its bytes.
   */
  arriving: Map<string, Promise<number>>;
  /** Base images being pulled early, by reference (see ./early.ts). */
  bases: Map<string, Promise<number>>;
  /** Base images' layer indexes read from the engine's copy, by reference (see ./early.ts): once per build. */
  baseIndexes: Map<string, Promise<{ diffId: string; index: LayerIndex }[] | undefined>>;
  /** Whether the engine offers runs' changed files (see ./changes.ts), once asked. */
  sharesChanges?: Promise<boolean>;
  /** Seconds spent writing final manifests and tags. */
  manifestSeconds: number;
  /** Paths known to exist in the stages made in Node by this build (see ./known-paths.ts). */
  known: KnownPaths;
  /** Stages being made right now, by digest: a stage two images or chains share is made once. */
  making: Map<string, Promise<void>>;
  /** Reports of the stages this build has started walking. */
  begun: WeakSet<StageReport>;
  /** Per planned stage, settled when its walk ends: stages that read it from another image wait. */
  done: Map<string, Deferred>;
  /** Bounds the stages worked on at once. */
  slots: LimitFunction;
  /** Stages that a later command stage reads, held as directories rather than engine images (./stacked.ts), by digest. */
  stacked: Map<string, Stacked>;
  /** Whether the engine runs commands on stacked layers, once asked. */
  stacks?: Promise<boolean>;
  /** Run when the build ends, whatever happened (stacked layers' directories). */
  cleanups: (() => Promise<void>)[];
  /** Registry layers unpacked for stacking, by blob digest (undefined: cannot be stacked). */
  unpacked: Map<string, Promise<string | undefined>>;
  /** Base images' manifests and configs, read once, by reference (./stacked.ts baseImage). */
  baseImages: Map<string, Promise<BaseImage>>;
  /** Base images' layers unpacked for stacking, by reference (./stacked.ts stackBase). */
  baseStacks: Map<string, Promise<BaseStack | undefined>>;
  /** The private directory this build's stacked layers are unpacked in (./stacked.ts). */
  stackDir?: Promise<string>;
  /** The empty image stacked runs are created on when every layer is stacked. */
  stackingRoot?: Promise<string>;
}

export interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = background(new Promise<void>((res, rej) => ((resolve = res), (reject = rej))));
  return { promise, resolve, reject };
}

/** Keeps a promise that may never be awaited (the build failed first) from crashing the process. */
export function background<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** Stages that run commands in a container: they need their parent in the engine. */
export function runsCommands(stage: PlannedStage): boolean {
  return stage.stage.kind === "user" || stage.stage.kind === "dockerfile-run";
}

export async function hasLocal(walk: Walk, stage: PlannedStage): Promise<boolean> {
  const known = walk.local.get(stage.digest);
  if (known !== undefined) return known;
  const found = await lookLocal(walk, stage);
  // What the build learnt since it asked (a stage pulled, made or dropped) wins.
  if (!walk.local.has(stage.digest)) walk.local.set(stage.digest, found);
  return walk.local.get(stage.digest) as boolean;
}

function lookLocal(walk: Walk, stage: PlannedStage): Promise<boolean> {
  let looking = walk.localChecks.get(stage.digest);
  if (!looking) walk.localChecks.set(stage.digest, (looking = background(walk.opts.engine.inspectImage(stage.ref).then((image) => image !== undefined))));
  return looking;
}

/** Right after the registry lookup: asks the engine about every missing stage at once, not one stage after another. */
export function checkLocalEarly(walk: Walk, stages: PlannedStage[]): void {
  for (const stage of stages) if (!walk.inRegistry.has(stage.digest) && !walk.local.has(stage.digest)) void lookLocal(walk, stage);
}

/** Whether command stages' layers are made here from the container's files (asked once per build). */
export function sharesChanges(walk: Walk): Promise<boolean> {
  walk.sharesChanges ??= walk.opts.engine.sharesChanges?.() ?? Promise.resolve(false);
  return walk.sharesChanges;
}

/**
 * Makes a stage available in the engine, pulling it from the registry when needed.
 * Returns bytes pulled: the first caller to wait for a stage on its way counts them,
 * any other (a stage of another image or chain, at the same time) counts 0.
 */
export async function ensureLocal(walk: Walk, digest: string, localRef: string): Promise<number> {
  if (walk.local.get(digest) && !walk.arriving.has(digest)) return 0;
  let arriving = walk.arriving.get(digest);
  // A stacked stage (./stacked.ts) is loaded as an image, not pulled.
  if (!arriving) walk.arriving.set(digest, (arriving = background(walk.stacked.get(digest)?.materialize() ?? pullStage(walk, digest, localRef))));
  let bytes = await firstToWait(walk.arriving, digest, arriving);
  const stacked = walk.stacked.get(digest);
  if (stacked) bytes += await stacked.materialize();
  walk.local.set(digest, true);
  return bytes;
}

/**
 * Waits for `pending`, the transfer `map` holds under `key`: the first waiter counts its
 * bytes and takes it out of the map; any other waiter (at the same time) counts 0.
 */
export async function firstToWait(map: Map<string, Promise<number>>, key: string, pending: Promise<number>): Promise<number> {
  const bytes = await pending;
  if (map.get(key) !== pending) return 0;
  map.delete(key);
  return bytes;
}

/** Starts pulling a stage from the registry now, for whoever needs it in the engine later. */
export function pullEarly(walk: Walk, digest: string, localRef: string): void {
  if (walk.local.get(digest) || walk.arriving.has(digest)) return;
  walk.arriving.set(digest, background(pullStage(walk, digest, localRef)));
}

export async function pullStage(walk: Walk, digest: string, localRef: string): Promise<number> {
  const { engine, store } = walk.opts;
  if (await engine.inspectImage(localRef)) {
    walk.local.set(digest, true);
    return 0;
  }
  const remote = store.ref(digest);
  let bytes: number;
  try {
    ({ bytes } = await engine.pull(remote));
  } catch (err) {
    // Told apart by asking the registry, not by reading the engine's message.
    if (!(await store.has(digest))) throw new StageGoneError(digest, remote);
    throw err;
  }
  await engine.tag(remote, localRef);
  walk.local.set(digest, true);
  return bytes;
}

/** Pushes a stage the engine built, unless another node published the digest first (then theirs is adopted). */
export async function publishLocal(walk: Walk, stage: PlannedStage): Promise<{ bytes: number; adopted: boolean }> {
  const { store, engine } = walk.opts;
  // A stage being remade was found broken or gone: never adopt what its tag names now.
  if (!walk.remaking.has(stage.digest) && (await store.has(stage.digest))) {
    // Another node won: continue from theirs so every later stage builds on the published one.
    // (Should our copy stay, a later push carries its layers: every image stays complete.)
    await engine.removeImage(stage.ref).catch(() => undefined);
    walk.local.set(stage.digest, false);
    walk.inRegistry.add(stage.digest);
    return { bytes: 0, adopted: true };
  }
  const remote = store.ref(stage.digest);
  await engine.tag(stage.ref, remote);
  const { uploaded } = await engine.push(remote);
  await engine.removeImage(remote).catch(() => undefined);
  // The engine's manifest carries no publish time: written again with one, for cleanup's grace window.
  // The parent's layer indexes hold for the same layers here (by diff id): later file stages read them.
  const inherited = stage.parent ? (await store.read(stage.parent).catch(() => undefined))?.manifest.annotations?.[LAYER_INDEX_ANNOTATION] : undefined;
  const manifest = await store.stamp(stage.digest, inherited ? { [LAYER_INDEX_ANNOTATION]: inherited } : {});
  walk.inRegistry.add(stage.digest);
  // What crossed the wire: the compressed sizes of the layers the engine uploaded. The engine
  // names layers by diff id; the manifest lists the same layers, in the same order, by blob.
  const local = await engine.inspectImage(stage.ref);
  const diffIds = local?.config.rootfs.diff_ids ?? [];
  const bytes = manifest.layers.filter((_, i) => uploaded.includes((diffIds[i] ?? "").slice(7, 19))).reduce((n, l) => n + l.size, 0);
  return { bytes, adopted: false };
}
