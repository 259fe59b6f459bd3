/**
 * werf's view of the git files (gitVisibility: werf). gitArchive, right before install,
 * adds every mapped file; each later user stage first brings the files up to date (a
 * patch layer: changed files and whiteouts for removed ones) and then runs its commands;
 * gitLatest patches once more at the end. Digests follow werf: gitArchive covers the
 * mappings only, a user stage its commands and the files its stageDependencies match,
 * gitLatest the content of every mapped file; so the final image is always exact.
 *
 * Which files a stage image holds is recorded in its config (label slipway.git-files),
 * so a patch is computed against what the parent really contains, wherever it was built.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { NamedInput } from "../digest.ts";
import { revisionOf } from "../git-remote.ts";
import { buildLayer, type Layer, type LayerEntry } from "../layer.ts";
import type { PlacedFile } from "../placement.ts";
import type { Stage, StageContext } from "../stage.ts";
import { fileEntries } from "./git-files.ts";
import type { OwnerResolver } from "./owners.ts";

export const GIT_FILES_LABEL = "slipway.git-files";

/** What identifies one placed file's bytes and metadata in the image. */
function fileKey(p: PlacedFile): string {
  return `${p.file.mode} ${p.file.blob} ${p.owner ?? ""}:${p.group ?? ""}`;
}

/** The label value: gzipped JSON of [destination, key] pairs, base64. */
export function encodeGitFiles(files: PlacedFile[]): string {
  return gzipSync(JSON.stringify(files.map((p) => [p.dest, fileKey(p)]))).toString("base64");
}

export function decodeGitFiles(label: string | undefined): Map<string, string> | undefined {
  if (!label) return undefined;
  try {
    return new Map(JSON.parse(gunzipSync(Buffer.from(label, "base64")).toString("utf8")) as [string, string][]);
  } catch {
    return undefined; // not ours or damaged: patch with every file, which is always correct
  }
}

/**
 * The layer that turns the parent's mapped files (from its label) into `files`: changed
 * and new files, whiteouts for files no longer mapped. Undefined when nothing differs.
 */
export async function patchLayer(
  root: string, files: PlacedFile[], parentLabels: Record<string, string>, owners: OwnerResolver,
): Promise<Layer | undefined> {
  const before = decodeGitFiles(parentLabels[GIT_FILES_LABEL]);
  const changed = before ? files.filter((p) => before.get(p.dest) !== fileKey(p)) : files;
  const current = new Set(files.map((p) => p.dest));
  const removed = before ? [...before.keys()].filter((dest) => !current.has(dest)) : [];
  if (changed.length === 0 && removed.length === 0) return undefined;
  const entries: LayerEntry[] = [...(await fileEntries(root, changed, owners)), ...removed.map((path): LayerEntry => ({ type: "whiteout", path }))];
  return buildLayer(entries);
}

function rootOf(ctx: StageContext): string {
  return ctx.worktree?.root ?? ctx.image.location.file;
}

/** gitArchive: every mapped file, as werf adds them after beforeInstall. Its digest covers the mappings only. */
export function gitArchiveStage(ctx: StageContext, files: PlacedFile[]): Stage {
  const mappings = ctx.image.git.map((m) => [
    m.add, m.to, m.includePaths, m.excludePaths, m.owner ?? "", m.group ?? "", ...(m.url !== undefined ? [m.url, revisionOf(m)] : []),
  ]);
  return {
    name: "gitArchive",
    kind: "gitArchive",
    isEmpty: () => files.length === 0,
    inputs: (): NamedInput[] => [["mappings", JSON.stringify(mappings)]],
    gitFiles: () => encodeGitFiles(files),
    change: () => ({ kind: "files", layer: (owners) => patchLayer(rootOf(ctx), files, {}, owners) }),
  };
}

/** gitLatest in werf's view (werf's gitLatestPatch): the current files, patched onto what the parent holds. */
export function gitLatestPatchStage(ctx: StageContext, files: PlacedFile[]): Stage {
  return {
    name: "gitLatest",
    kind: "gitPatch",
    isEmpty: () => files.length === 0,
    inputs: (): NamedInput[] => [
      ["files", files.map((p) => `${p.dest} ${p.file.mode} ${p.file.blob} ${p.owner ?? ""}:${p.group ?? ""}`).join("\n")],
    ],
    gitFiles: () => encodeGitFiles(files),
    change: () => ({ kind: "files", layer: (owners, parentLabels) => patchLayer(rootOf(ctx), files, parentLabels, owners) }),
  };
}

/** The patch a user stage applies before its commands, in werf's view. */
export function userStagePatch(ctx: StageContext, files: PlacedFile[]) {
  return (owners: OwnerResolver, parentLabels: Record<string, string>) => patchLayer(rootOf(ctx), files, parentLabels, owners);
}
