import { aroundRun, type CacheUse } from "../../cache/around-run.ts";
import { BuildError, sourceLocation } from "../../errors.ts";
import { appendDiffId } from "../../image/index.ts";
import { stageRef } from "../names.ts";
import type { StageChange } from "../stage.ts";
import { withBinds } from "./binds.ts";
import { outputTail } from "./output-tail.ts";
import { ownersOf } from "./read.ts";
import { labelsOf, type ExecContext, type Parent, type TakenChanges } from "./types.ts";

export type RunOutcome = { ok: true; diffIds: string[]; temporary: string[]; cache?: CacheUse; taken?: TakenChanges } | { ok: false; error: BuildError };

/**
 * Runs a stage's commands on the parent, after its git patch (werf view) when it has
 * one: the patched image is loaded under a temporary tag first. Returns the layers the
 * stage adds (a run that changes no file adds none) and the images to remove afterwards,
 * or the failure (its temporaries already removed).
 */
export async function runCommands(ctx: ExecContext, change: Extract<StageChange, { kind: "run" }>, parent: Parent): Promise<RunOutcome> {
  const { engine, stage, meta } = ctx;
  const diffIds: string[] = [];
  const temporary: string[] = [];
  // A werf git patch is loaded on the parent's image: a stacked parent becomes one first.
  if (ctx.stacked && change.patch) parent = { ...parent, ref: await ctx.stacked.materialize() };
  const stacked = ctx.stacked && !change.patch ? { dirs: ctx.stacked.dirs, config: parent.image.config.config, materialize: ctx.stacked.materialize } : undefined;
  let runOn = parent.ref;
  const patch = change.patch ? await change.patch(ownersOf(ctx, parent.ref), labelsOf(parent.image)) : undefined;
  if (patch) {
    runOn = `${stage.ref}-patch`;
    await engine.loadImage(appendDiffId(parent.image.config, patch.diffId), [patch], [runOn]).finally(() => patch.dispose());
    temporary.push(runOn);
    diffIds.push(patch.diffId);
  }
  const all = [...(change.env?.(meta.stageName ?? ((digest) => stageRef(meta.project, digest))) ?? []), ...(change.secretEnv?.() ?? [])];
  const env = all.length > 0 ? all : undefined;
  let taken: TakenChanges | undefined;
  // A patched stage adds two layers: only a single new layer is taken.
  const take = ctx.take && !patch ? ctx.take : undefined;
  const takeChanges = take && (async (dir: string) => (taken = await take(dir)) !== undefined);
  const tail = change.describeFailure ? outputTail() : undefined;
  const onOutput = tail ? (chunk: Buffer) => (tail.add(chunk), ctx.onOutput(chunk)) : ctx.onOutput;
  const spec = { image: runOn, script: change.script, network: change.network, env, onOutput, onExited: ctx.onExited, argv: change.argv, imageUser: change.imageUser, takeChanges, stacked };
  const { result, use } = await withBinds(change.binds, (binds) => aroundRun(ctx.caches, binds, () => engine.runAndCommit({ ...spec, binds }), (r) => r.exitCode === 0));
  for (const warning of use?.warnings ?? []) ctx.onOutput(Buffer.from(`slipway: warning: ${warning}\n`));
  if (result.committed) temporary.push(result.committed);
  if (result.exitCode !== 0) {
    await Promise.all(temporary.map((ref) => engine.removeImage(ref).catch(() => undefined)));
    const what = tail && change.describeFailure?.(tail.text());
    return { ok: false, error: new BuildError(meta.image, stage.name, what ?? `command failed with exit code ${result.exitCode}`, result.exitCode, sourceLocation(stage.stage.source)) };
  }
  if (result.taken && taken) {
    if (taken.diffId) diffIds.push(taken.diffId);
    return { ok: true, diffIds, temporary, taken, ...(use && { cache: use }) };
  }
  if (result.diffId) diffIds.push(result.diffId);
  return { ok: true, diffIds, temporary, ...(use && { cache: use }) };
}
