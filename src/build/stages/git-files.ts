import type { NamedInput } from "../digest.ts";
import { readTracked } from "../git.ts";
import { readBlob } from "../git-remote.ts";
import { buildLayer, type LayerEntry } from "../layer.ts";
import type { GitStageName, PlacedFile } from "../placement.ts";
import type { Stage, StageContext } from "../stage.ts";
import type { OwnerResolver } from "./owners.ts";

/** Layer entries for placed files, read from the working tree at `root`. */
export async function fileEntries(root: string, files: PlacedFile[], owners: OwnerResolver): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  for (const p of files) {
    const { uid, gid } = await owners(p.owner, p.group);
    const content = p.gitDir !== undefined ? await readBlob(p.gitDir, p.file.blob) : await readTracked(root, p.file);
    entries.push(
      p.file.mode === "120000"
        ? { type: "symlink", path: p.dest, uid, gid, target: content.toString("utf8") }
        : { type: "file", path: p.dest, mode: p.file.mode === "100755" ? 0o755 : 0o644, uid, gid, content },
    );
  }
  return entries;
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
      layer: async (owners: OwnerResolver) => buildLayer(await fileEntries(ctx.worktree?.root ?? ctx.image.location.file, files, owners)),
    }),
  };
}
