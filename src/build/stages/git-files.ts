import { BuildError } from "../../errors.ts";
import type { NamedInput } from "../digest.ts";
import { openTracked } from "../git.ts";
import { readBlob } from "../git-remote.ts";
import { buildLayer, type Layer, type LayerEntry } from "../layer.ts";
import type { GitStageName, PlacedFile } from "../placement.ts";
import type { Stage, StageContext } from "../stage.ts";
import type { OwnerResolver } from "./owners.ts";

/**
 * Layer entries for placed files: from the working tree at `root` (streamed from disk
 * when the layer is written, never through a symlink), or from a remote mapping's clone.
 * A file that cannot be read is named (its path in the repository).
 */
export async function fileEntries(root: string, files: PlacedFile[], owners: OwnerResolver): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  for (const p of files) {
    const { uid, gid } = await owners(p.owner, p.group);
    const mode = p.file.mode === "100755" ? 0o755 : 0o644;
    if (p.gitDir !== undefined) {
      const content = await readBlob(p.gitDir, p.file.blob);
      entries.push(p.file.mode === "120000" ? { type: "symlink", path: p.dest, uid, gid, target: content.toString("utf8") } : { type: "file", path: p.dest, mode, uid, gid, content });
      continue;
    }
    const content = await openTracked(root, p.file).catch((err: Error) => {
      throw new Error(`cannot read tracked file ${p.file.path}: ${err.message}`, { cause: err });
    });
    entries.push(content.kind === "symlink" ? { type: "symlink", path: p.dest, uid, gid, target: content.target } : { type: "file", path: p.dest, mode, uid, gid, content: content.source });
  }
  return entries;
}

/** Builds a file layer for `stage` of `image`; a file that could not be read fails the stage, named. */
export async function fileLayer(image: string, stage: string, entries: () => Promise<LayerEntry[]>): Promise<Layer> {
  try {
    return await buildLayer(await entries());
  } catch (err) {
    throw err instanceof BuildError ? err : new BuildError(image, stage, (err as Error).message, undefined, { cause: err });
  }
}

/**
 * gitInstall / gitBeforeSetup / gitSetup / gitLatest in the strict view: tracked files
 * of the working tree as one deterministic layer. Identity is content: destination,
 * mode, blob id and owner of every file; never a commit id.
 */
export function gitFilesStage(name: GitStageName, ctx: StageContext, files: PlacedFile[]): Stage {
  const inputs = (): NamedInput[] => [
    ["files", files.map((p) => `${p.dest} ${p.file.mode} ${p.file.blob} ${p.owner ?? ""}:${p.group ?? ""}`).join("\n")],
  ];
  return {
    name,
    kind: "git",
    isEmpty: () => files.length === 0,
    inputs,
    change: () => ({
      kind: "files",
      layer: async (owners: OwnerResolver) => fileLayer(ctx.image.name, name, () => fileEntries(ctx.worktree?.root ?? ctx.image.location.file, files, owners)),
    }),
  };
}
