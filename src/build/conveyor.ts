import { USER_STAGES, type ImportStageHook, type UserStageName } from "../config/types.ts";
import { placeGitFiles, type PlacedFile } from "./placement.ts";
import type { Stage, StageContext, StageName } from "./stage.ts";
import { dockerInstructionsStage } from "./stages/docker-instructions.ts";
import { fromStage } from "./stages/from.ts";
import { imageSpecStage } from "./stages/image-spec.ts";
import { gitFilesStage } from "./stages/git-files.ts";
import { gitArchiveStage, gitLatestPatchStage, userStagePatch } from "./stages/git-patch.ts";
import { importStageName, importsStage } from "./stages/imports.ts";
import { userStage } from "./stages/user.ts";
import { dockerfileStages } from "../dockerfile/stages.ts";

/**
 * The stage conveyor of one image, in order, empty stages dropped:
 * from, beforeInstall, importsBeforeInstall, gitArchive (werf view) or gitInstall (strict
 * view), install, importsAfterInstall, gitBeforeSetup, beforeSetup, importsBeforeSetup,
 * gitSetup, setup, importsAfterSetup, gitLatest, dockerInstructions, imageSpec.
 */
export const STAGE_ORDER: readonly StageName[] = [
  "from", "beforeInstall", "importsBeforeInstall", "gitArchive", "gitInstall", "install", "importsAfterInstall",
  "gitBeforeSetup", "beforeSetup", "importsBeforeSetup", "gitSetup", "setup", "importsAfterSetup",
  "gitLatest", "dockerInstructions", "imageSpec",
];

export function conveyor(ctx: StageContext): Stage[] {
  const { image } = ctx;
  if (image.dockerfile) return dockerfileStages(ctx, image.dockerfile);
  const git = placeGitFiles(image, ctx.worktree, ctx.remotes);
  const imports = (hook: "beforeInstall" | "afterInstall" | "beforeSetup" | "afterSetup") =>
    importsStage(importStageName(hook), ctx, image.imports.filter((i) => i.stage === hook));
  if (image.gitVisibility === "werf" && git.all.length > 0) return werfConveyor(ctx, git.all, git.dependencies, imports);
  const [beforeInstall, install, beforeSetup, setup] = USER_STAGES.map((name) => userStage(name, ctx, git.dependencies[name]));
  const stages: Stage[] = [
    fromStage(ctx),
    beforeInstall,
    imports("beforeInstall"),
    gitFilesStage("gitInstall", ctx, git.layers.gitInstall),
    install,
    imports("afterInstall"),
    gitFilesStage("gitBeforeSetup", ctx, git.layers.gitBeforeSetup),
    beforeSetup,
    imports("beforeSetup"),
    gitFilesStage("gitSetup", ctx, git.layers.gitSetup),
    setup,
    imports("afterSetup"),
    gitFilesStage("gitLatest", ctx, git.layers.gitLatest),
    dockerInstructionsStage(ctx),
    imageSpecStage(ctx),
  ];
  return stages.filter((s) => !s.isEmpty());
}

/**
 * werf's view: every user stage from install on sees every mapped file, current; the
 * stageDependencies only feed its digest. See stages/git-patch.ts.
 */
function werfConveyor(
  ctx: StageContext, files: PlacedFile[], dependencies: Record<UserStageName, string[]>, imports: (hook: ImportStageHook) => Stage,
): Stage[] {
  const patch = userStagePatch(ctx, files);
  const [beforeInstall, install, beforeSetup, setup] = USER_STAGES.map((name) =>
    userStage(name, ctx, dependencies[name], name === "beforeInstall" ? undefined : { patch, files }),
  );
  const stages: Stage[] = [
    fromStage(ctx),
    beforeInstall,
    imports("beforeInstall"),
    gitArchiveStage(ctx, files),
    install,
    imports("afterInstall"),
    beforeSetup,
    imports("beforeSetup"),
    setup,
    imports("afterSetup"),
    gitLatestPatchStage(ctx, files),
    dockerInstructionsStage(ctx),
    imageSpecStage(ctx),
  ];
  return stages.filter((s) => !s.isEmpty());
}
