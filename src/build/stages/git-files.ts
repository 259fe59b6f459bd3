import { BuildError } from "../../errors.ts";
import type { NamedInput } from "../digest.ts";
import { openTracked } from "../git.ts";
import { buildLayer, type LayerEntry } from "../layer.ts";
import type { GitStageName, PlacedFile } from "../placement.ts";
import type { Stage, StageContext } from "../stage.ts";
import type { OwnerResolver } from "./owners.ts";

/**
 * gitInstall / gitBeforeSetup / gitSetup / gitLatest: tracked files of the working
 * tree as one deterministic layer. Identity is content: destination, mode, blob id
 * and owner of every file; never a commit id.
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
      layer: async (owners: OwnerResolver) => {
        const root = ctx.worktree?.root ?? ctx.image.location.file;
        const entries: LayerEntry[] = [];
        for (const p of files) {
          const { uid, gid } = await owners(p.owner, p.group);
          const content = await named(p.file.path, () => openTracked(root, p.file));
          entries.push(
            content.kind === "symlink"
              ? { type: "symlink", path: p.dest, uid, gid, target: content.target }
              : { type: "file", path: p.dest, mode: p.file.mode === "100755" ? 0o755 : 0o644, uid, gid, content: content.source },
          );
        }
        try {
          return await buildLayer(entries);
        } catch (err) {
          throw err instanceof BuildError ? err : new BuildError(ctx.image.name, name, (err as Error).message, undefined, { cause: err });
        }
      },
    }),
  };

  /** A tracked file that cannot be read is named in the error (its path in the repository). */
  async function named<T>(path: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      throw new BuildError(ctx.image.name, name, `cannot read tracked file ${path}: ${(err as Error).message}`, undefined, { cause: err });
    }
  }
}
