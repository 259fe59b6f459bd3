import type { CacheUse } from "../../cache/around-run.ts";
import type { DependencyCache } from "../../cache/types.ts";
import type { BuildError } from "../../errors.ts";
import type { Engine, LocalImage } from "../../engine/types.ts";
import type { ImageConfigDocument } from "../../image/index.ts";
import type { Layer } from "../layer.ts";
import type { PlannedStage } from "../plan.ts";
import type { StageLabels } from "../stage-config.ts";

/** What an executor needs to make one stage on the engine. */
export interface ExecContext {
  engine: Engine;
  stage: PlannedStage;
  /** The parent stage's image in the engine (absent for a base stage). */
  parentRef?: string;
  /**
   * The parent is stacked (see RunSpec.stacked): `parentRef` is the engine image under its
   * layers, `config` its own config document; a command stage runs on them as they are.
   */
  stacked?: { dirs: string[]; config: ImageConfigDocument; materialize: () => Promise<string> };
  meta: StageLabels;
  onOutput: (chunk: Buffer) => void;
  /** Called when a stage's commands have exited, before the commit (phase timings). */
  onExited?: () => void;
  /** Where the dependency caches the commands mount are kept (a registry); without it they stay on the node only. */
  caches?: DependencyCache;
  /**
   * Offered a run's changed files (see RunSpec.takeChanges); a result means the caller
   * made the layer: the stage is loaded with it, or not at all when there is no `load`.
   */
  take?: (upperDir: string) => Promise<TakenChanges | undefined>;
}

/** A layer the caller made from a run's changed files: its diff id (none: no file changed) and, to load it, the tar. */
export interface TakenChanges {
  diffId?: string;
  load?: Layer;
}

/**
 * An executor's outcome: the stage image was written under the stage's ref, or it was
 * not, and why. Nothing is thrown to change course; the walk decides what a failure
 * means (a build stops, naming image, stage and exit code).
 */
export type StageResult =
  /** `cache`: set when the stage's commands mounted a dependency cache kept in a registry. */
  /** `doc`: the stage's config document as loaded (or, when `inEngine` is false, as it would be). */
  /** `inEngine: false`: a taken layer was not loaded (see ExecContext.take); the engine has no copy of the stage. */
  | { ok: true; status: "built" | "appended"; containersRun: number; cache?: CacheUse; doc?: ImageConfigDocument; inEngine?: boolean }
  | { ok: false; error: BuildError; containersRun: number };

export const done = (status: "built" | "appended", containersRun = 0): StageResult => ({ ok: true, status, containersRun });

/** The parent as the executors of changes on top of it need it, or why there is none. */
export type Parent = { ref: string; image: LocalImage };

/** The parent's labels as the stage's layer builders read them (werf-view git patches). */
export function labelsOf(image: LocalImage): Record<string, string> {
  return image.config.config.Labels ?? {};
}
