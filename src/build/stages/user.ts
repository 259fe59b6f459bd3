import type { UserStageName } from "../../config/types.ts";
import type { NamedInput } from "../digest.ts";
import { repoComponent } from "../names.ts";
import type { PlacedFile } from "../placement.ts";
import type { LayerBuilder, Stage, StageContext } from "../stage.ts";
import { encodeGitFiles } from "./git-patch.ts";

/** Joins a stage's commands into one script for `/bin/sh -c`; `set -e` stops at the first failure. */
export function commandScript(commands: string[]): string {
  return ["set -e", ...commands].join("\n");
}

/**
 * beforeInstall / install / beforeSetup / setup: shell commands run in a container
 * made from the parent stage. `dependencyFiles` lists the files its stageDependencies
 * match (path and content hash), so a change to them is named when explaining a rebuild.
 * `git` (werf view): the commands run on the current mapped files, patched in first.
 */
export function userStage(
  name: UserStageName, ctx: StageContext, dependencyFiles: string[], git?: { patch: LayerBuilder; files: PlacedFile[] },
): Stage {
  const { shell, mounts, network } = ctx.image;
  const commands = shell[name];
  const inputs = (): NamedInput[] => [
    ["commands", JSON.stringify(commands)],
    ["cacheVersion", shell.cacheVersion ?? ""],
    [`${name}CacheVersion`, shell.stageCacheVersions[name] ?? ""],
    ["dependencies", dependencyFiles.join("\n")],
  ];
  return {
    name,
    kind: "user",
    isEmpty: () => commands.length === 0,
    inputs,
    ...(git ? { gitFiles: () => encodeGitFiles(git.files) } : {}),
    change: () => ({
      kind: "run",
      script: commandScript(commands),
      network,
      ...(git ? { patch: git.patch } : {}),
      binds: mounts.map((m) => ({
        source: m.fromPath ?? (m.from === "build_dir" ? `${ctx.buildDir}/${repoComponent(ctx.project)}/${m.to.replace(/\//g, "_")}` : ""),
        target: m.to,
      })),
    }),
  };
}
