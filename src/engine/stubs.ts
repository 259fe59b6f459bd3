/**
 * Mount points that leave nothing behind. The engine creates a bind's target (and its
 * missing parents) in the container's writable layer, so a commit would keep an empty
 * /run/secrets/<id>. As BuildKit does (executor/stubs.go), the paths the run created
 * only to mount on are removed before the commit, if still empty, and their parent's
 * times restored: here in the container's overlay upper directory, which the engine
 * on a build node keeps on this machine. Paths that existed before the run (in a
 * lower layer) are never touched.
 */
import { lstat, readdir, rmdir, stat, unlink, utimes } from "node:fs/promises";
import { join, posix } from "node:path";

export interface OverlayDirs {
  upper: string;
  lowers: string[];
}

/** The overlay directories of a container from its inspect document; undefined for other storage drivers. */
export function overlayDirs(graphDriver: { Name?: string; Data?: Record<string, string> | null } | undefined): OverlayDirs | undefined {
  if (!graphDriver || !["overlay2", "overlay"].includes(graphDriver.Name ?? "") || !graphDriver.Data?.UpperDir) return undefined;
  return { upper: graphDriver.Data.UpperDir, lowers: (graphDriver.Data.LowerDir ?? "").split(":").filter(Boolean) };
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}

async function stubKind(path: string): Promise<"directory" | "file" | undefined> {
  const info = await lstat(path).catch(() => undefined);
  if (info?.isDirectory()) return (await readdir(path)).length === 0 ? "directory" : undefined;
  return info?.isFile() && info.size === 0 ? "file" : undefined;
}

/**
 * Removes the stubs of `targets` (deepest first, then each parent the run created), stopping
 * at the first path that is not one. `filesOnly`: only a target that is an empty file, never
 * a parent (the engine's BuildKit leaves the directories a file mount made).
 */
export async function removeMountStubs(dirs: OverlayDirs, targets: string[], opts: { filesOnly?: boolean } = {}): Promise<void> {
  for (const target of targets) {
    for (let path = posix.normalize(target); path !== "/"; path = posix.dirname(path)) {
      if ((await Promise.all(dirs.lowers.map((l) => exists(join(l, path))))).some(Boolean)) break;
      const upper = join(dirs.upper, path);
      const kind = await stubKind(upper);
      if (!kind || (opts.filesOnly && kind !== "file")) break;
      const parent = join(dirs.upper, posix.dirname(path));
      const times = await stat(parent).catch(() => undefined);
      await (kind === "directory" ? rmdir(upper) : unlink(upper));
      if (times) await utimes(parent, times.atime, times.mtime).catch(() => undefined);
      if (opts.filesOnly) break;
    }
  }
}
