import type { CacheUse } from "../cache/around-run.ts";
import type { DependencyCache } from "../cache/types.ts";
import { BuildError } from "../errors.ts";
import type { Engine } from "../engine/types.ts";
import { setCreated, setRuntime, type ImageConfigDocument } from "../image/index.ts";
import { executeStage, type ExecContext, type TakenChanges } from "./exec/index.ts";
import type { PlannedStage, ProjectPlan } from "./plan.ts";
import { cleanConfig, type StageLabels } from "./stage-config.ts";

export { cleanConfig, stageDocument, type StageLabels } from "./stage-config.ts";
export { expandHome } from "./exec/binds.ts";

export interface AppliedStage {
  status: "built" | "appended";
  containersRun: number;
  /** Set when the stage's commands mounted a dependency cache kept in a registry. */
  cache?: CacheUse;
  /** The stage's config document, as loaded (or, when `inEngine` is false, as it would be). */
  doc?: ImageConfigDocument;
  /** false: a taken layer was not loaded (see StageHooks.take); the engine has no copy of the stage. */
  inEngine: boolean;
}

export interface StageHooks {
  /** The commands have exited (before the commit). */
  exited?: () => void;
  /** See ExecContext.take: the caller makes the run's layer from the container's changed files. */
  take?: (upperDir: string) => Promise<TakenChanges | undefined>;
  /** Where the dependency caches the commands mount are kept (a registry); without it they stay on the node only. */
  caches?: DependencyCache;
  /** See ExecContext.stacked: the parent is `parentRef`'s image with these layers on top. */
  stacked?: ExecContext["stacked"];
}

/**
 * Builds one stage on the local engine (see executeStage), for callers that stop on
 * the first failure: a failed stage is thrown as its BuildError.
 */
export async function buildStageLocally(
  engine: Engine, plan: PlannedStage, parentRef: string | undefined, meta: StageLabels, onOutput: (chunk: Buffer) => void,
  hooks: StageHooks = {},
): Promise<AppliedStage> {
  const result = await executeStage({ engine, stage: plan, parentRef, meta, onOutput, onExited: hooks.exited, take: hooks.take, caches: hooks.caches, stacked: hooks.stacked });
  if (!result.ok) throw result.error;
  return { status: result.status, containersRun: result.containersRun, ...(result.cache && { cache: result.cache }), doc: result.doc, inEngine: result.inEngine ?? true };
}

/** Writes the user-facing image: the last stage with slipway's labels removed. Returns its id. */
export async function writeFinalImage(engine: Engine, lastStageRef: string, tags: string[]): Promise<string> {
  const stage = await engine.inspectImage(lastStageRef);
  if (!stage) throw new BuildError("", "final", `stage ${lastStageRef} is missing`);
  return engine.loadImage(setRuntime(setCreated(stage.config, "1970-01-01T00:00:00Z"), cleanConfig(stage.config.config)), [], tags);
}

export type { ProjectPlan };
