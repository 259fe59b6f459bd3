import type { CacheUse } from "../../cache/around-run.ts";
import { BuildError } from "../../errors.ts";
import type { Layer } from "../layer.ts";
import { SCRATCH, SCRATCH_CONFIG } from "../scratch.ts";
import { cleanConfig, stageDocument } from "../stage-config.ts";
import type { StageChange } from "../stage.ts";
import { ownersOf, statOf } from "./read.ts";
import { runCommands } from "./run.ts";
import { done, labelsOf, type ExecContext, type Parent, type StageResult, type TakenChanges } from "./types.ts";

export type { ExecContext, StageResult, TakenChanges } from "./types.ts";

const failed = (ctx: ExecContext, message: string): StageResult => ({ ok: false, error: new BuildError(ctx.meta.image, ctx.stage.name, message), containersRun: 0 });

/** A base stage: the base image (pulled when the engine lacks it) or scratch, under the stage's labels. */
async function baseStage(ctx: ExecContext, change: Extract<StageChange, { kind: "base" }>): Promise<StageResult> {
  const { engine, stage, meta } = ctx;
  if (change.ref === SCRATCH) {
    await engine.loadImage(stageDocument(SCRATCH_CONFIG, SCRATCH_CONFIG.config, [], stage, meta), [], [stage.ref]);
    return done("appended");
  }
  let base = await engine.inspectImage(change.ref);
  if (!base && !change.local) {
    await engine.pull(change.ref);
    base = await engine.inspectImage(change.ref);
  }
  if (!base) return failed(ctx, `base image ${change.ref} is not available`);
  await engine.loadImage(stageDocument(base.config, cleanConfig(base.config.config), base.config.rootfs.diff_ids, stage, meta), [], [stage.ref]);
  return done("appended");
}

/**
 * A change on top of the parent: commands run on the engine, a layer made in Node,
 * a config change. The stage image's config is always written by slipway (docker load
 * of a config document), never taken from a container, so build-time settings never leak.
 */
async function changeStage(ctx: ExecContext, change: Exclude<StageChange, { kind: "base" }>, parent: Parent): Promise<StageResult> {
  const { engine, stage, meta } = ctx;
  const runtime = cleanConfig(parent.image.config.config);
  const diffIds = [...parent.image.config.rootfs.diff_ids];
  const layers: Layer[] = [];
  let temporary: string[] = [];
  let cache: CacheUse | undefined;
  let taken: TakenChanges | undefined;
  if (change.kind === "run") {
    const ran = await runCommands(ctx, change, parent);
    if (!ran.ok) return { ...ran, containersRun: 1 };
    diffIds.push(...ran.diffIds);
    temporary = ran.temporary;
    cache = ran.cache;
    taken = ran.taken;
    if (taken?.load) layers.push(taken.load);
  } else if (change.kind === "files") {
    const layer = await change.layer(ownersOf(ctx, parent.ref), labelsOf(parent.image), runtime, statOf(engine, parent.ref));
    if (layer) diffIds.push(layer.diffId), layers.push(layer);
  }
  const apply = change.kind === "config" || change.kind === "files" ? change.apply : undefined;
  const doc = stageDocument(parent.image.config, apply ? apply(runtime) : runtime, diffIds, stage, meta);
  // A run that changed no file is its parent's layers under a new config, loaded here;
  // not on a stacked parent, whose layers the engine lacks: the caller puts that stage
  // where the next one finds it (src/build/remote/stacked.ts).
  const inEngine = !taken || taken.load !== undefined || (!taken.diffId && !ctx.stacked);
  try {
    if (inEngine) await engine.loadImage(doc, layers, [stage.ref]);
  } finally {
    // A taken layer is the caller's to dispose of (it uploads it).
    for (const layer of layers) if (layer !== taken?.load) await layer.dispose();
    for (const ref of temporary) await engine.removeImage(ref).catch(() => undefined);
  }
  return { ...(change.kind === "run" ? { ...done("built", 1), ...(cache && { cache }) } : done("appended")), doc, inEngine } as StageResult;
}

/**
 * Makes one stage on the engine on top of `parentRef` and tags it with the stage's ref.
 * Failures the user can fix (a failed command, an unknown owner, a missing base) are
 * results; only the engine's own faults are thrown.
 */
export async function executeStage(ctx: ExecContext): Promise<StageResult> {
  const change = ctx.stage.stage.change();
  try {
    if (change.kind === "base") return await baseStage(ctx, change);
    // Only commands run on a stacked parent; any other change is made on its image, loaded now.
    if (ctx.stacked && change.kind !== "run") ctx = { ...ctx, parentRef: await ctx.stacked.materialize(), stacked: undefined };
    // A stacked parent has no image of its own: its config is known, its layers are directories.
    const image = ctx.stacked ? { id: "", config: ctx.stacked.config, repoDigests: [], repoTags: [] }
      : ctx.parentRef ? await ctx.engine.inspectImage(ctx.parentRef) : undefined;
    if (!image || !ctx.parentRef) return failed(ctx, `parent stage ${ctx.parentRef ?? "(none)"} is missing from the engine`);
    return await changeStage(ctx, change, { ref: ctx.parentRef, image });
  } catch (err) {
    if (err instanceof BuildError) return { ok: false, error: err, containersRun: 0 };
    throw err;
  }
}
