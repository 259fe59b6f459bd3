import { posix } from "node:path";
import type { ImageConfig, UserStageName } from "../config/types.ts";
import { pathMatcher, type TrackedFile, type Worktree } from "./git.ts";
import { revisionOf, type RemoteTree } from "./git-remote.ts";

export type GitStageName = "gitInstall" | "gitBeforeSetup" | "gitSetup" | "gitLatest";

export interface PlacedFile {
  /** Absolute path in the image. */
  dest: string;
  file: TrackedFile;
  owner?: string;
  group?: string;
  /** Bare clone to read the blob from (a remote mapping); absent: the working tree. */
  gitDir?: string;
}

/** How remote trees are looked up: by URL and revision. */
export function remoteKey(m: { url?: string; commit?: string; tag?: string; branch?: string }): string {
  return `${m.url}\n${revisionOf(m)}`;
}

export interface GitPlacement {
  /** The strict view's layers: each file in the layer before the earliest stage that depends on it. */
  layers: Record<GitStageName, PlacedFile[]>;
  /** Every mapped file, sorted by destination: werf's view (gitArchive, the patches, gitLatest). */
  all: PlacedFile[];
  /** Per user stage: "path blob" lines of the files its stageDependencies match. */
  dependencies: Record<UserStageName, string[]>;
}

/** The user stages that may declare stageDependencies, each with the git stage placed before it. */
const DEPENDENT_STAGES: [UserStageName, GitStageName][] = [
  ["install", "gitInstall"],
  ["beforeSetup", "gitBeforeSetup"],
  ["setup", "gitSetup"],
];

/**
 * Lists the mapped git files, the files each user stage depends on, and the strict
 * view's split across layers (the werf view, see stages/git-patch.ts, uses `all`).
 * Strict view: a file matched by a user stage's
 * stageDependencies goes into the git layer right before the earliest such stage, so
 * a change to it rebuilds that stage and the ones after; every other file goes into
 * gitLatest after setup, so changing it rebuilds no user stage. beforeInstall
 * dependencies count as install's (git files are first added before install).
 */
export function placeGitFiles(image: ImageConfig, worktree: Worktree | undefined, remotes: ReadonlyMap<string, RemoteTree> = new Map()): GitPlacement {
  const layers: GitPlacement["layers"] = { gitInstall: [], gitBeforeSetup: [], gitSetup: [], gitLatest: [] };
  const dependencies: GitPlacement["dependencies"] = { beforeInstall: [], install: [], beforeSetup: [], setup: [] };
  const all: PlacedFile[] = [];
  for (const mapping of image.git) {
    const remote = mapping.url !== undefined ? remotes.get(remoteKey(mapping)) : undefined;
    const source = mapping.url !== undefined ? remote : worktree;
    if (!source) continue;
    const prefix = mapping.add === "/" ? "" : `${mapping.add.replace(/^\/+/, "")}/`;
    const included = mapping.includePaths.length > 0 ? pathMatcher(mapping.includePaths) : () => true;
    const excluded = mapping.excludePaths.length > 0 ? pathMatcher(mapping.excludePaths) : () => false;
    const depMatchers = DEPENDENT_STAGES.map(([stage]) => {
      const globs = [...(mapping.stageDependencies[stage] ?? []), ...(stage === "install" ? mapping.stageDependencies.beforeInstall ?? [] : [])];
      return globs.length > 0 ? pathMatcher(globs) : () => false;
    });
    const single = prefix === "" ? undefined : mapping.add.replace(/^\/+/, "");
    for (const file of source.files) {
      let rel: string;
      if (single !== undefined && file.path === single) rel = posix.basename(file.path); // `add` names one file
      else if (file.path.startsWith(prefix)) rel = file.path.slice(prefix.length);
      else continue;
      if (!included(rel) || excluded(rel)) continue;
      const dest = single !== undefined && file.path === single ? mapping.to : posix.join(mapping.to, rel);
      const placed: PlacedFile = { dest, file, owner: mapping.owner, group: mapping.group, ...(remote ? { gitDir: remote.gitDir } : {}) };
      const first = depMatchers.findIndex((m) => m(rel));
      DEPENDENT_STAGES.forEach(([stage], i) => {
        if (depMatchers[i](rel)) dependencies[stage].push(`${file.path} ${file.blob}`);
      });
      layers[first >= 0 ? DEPENDENT_STAGES[first][1] : "gitLatest"].push(placed);
      all.push(placed);
    }
  }
  for (const list of [...Object.values(layers), all]) list.sort((a, b) => (a.dest < b.dest ? -1 : a.dest > b.dest ? 1 : 0));
  return { layers, all, dependencies };
}
