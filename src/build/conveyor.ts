import { USER_STAGES } from "../config/types.ts";
import { placeGitFiles } from "./placement.ts";
import type { Stage, StageContext, StageName } from "./stage.ts";
import { dockerInstructionsStage } from "./stages/docker-instructions.ts";
import { fromStage } from "./stages/from.ts";
import { gitFilesStage } from "./stages/git-files.ts";
import { importStageName, importsStage } from "./stages/imports.ts";
import { userStage } from "./stages/user.ts";
import { dockerfileStages } from "../dockerfile/stages.ts";

/**
 * The stage conveyor of one image, in order, empty stages dropped:
 * from, beforeInstall, importsBeforeInstall, gitInstall, install, importsAfterInstall,
 * gitBeforeSetup, beforeSetup, importsBeforeSetup, gitSetup, setup, importsAfterSetup,
 * gitLatest, dockerInstructions.
 */
export const STAGE_ORDER: readonly StageName[] = [
  "from", "beforeInstall", "importsBeforeInstall", "gitInstall", "install", "importsAfterInstall",
  "gitBeforeSetup", "beforeSetup", "importsBeforeSetup", "gitSetup", "setup", "importsAfterSetup",
  "gitLatest", "dockerInstructions",
];

export function conveyor(ctx: StageContext): Stage[] {
  const { image } = ctx;
  if (image.dockerfile) return dockerfileStages(ctx, image.dockerfile);
  const git = placeGitFiles(image, ctx.worktree);
  const imports = (hook: "beforeInstall" | "afterInstall" | "beforeSetup" | "afterSetup") =>
    importsStage(importStageName(hook), ctx, image.imports.filter((i) => i.stage === hook));
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
  ];
  return stages.filter((s) => !s.isEmpty());
}
