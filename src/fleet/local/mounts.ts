import { readFile, rm } from "node:fs/promises";
import { run } from "../../util/process.ts";

/** Mount points at or under `root`, deepest first, from /proc/self/mountinfo (octal escapes decoded). */
export async function mountsUnder(root: string, mountinfo = "/proc/self/mountinfo"): Promise<string[]> {
  const text = await readFile(mountinfo, "utf8").catch(() => "");
  const decode = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  const points = text.split("\n").map((l) => l.split(" ")[4]).filter((p): p is string => Boolean(p)).map(decode);
  return points.filter((p) => p === root || p.startsWith(`${root}/`)).sort((a, b) => b.length - a.length);
}

/**
 * Removes a node's directory even when its dockerd was killed (a killed node is an
 * interrupted node): a dockerd that dies without its shutdown leaves its data root and
 * overlay layers mounted, and rmdir then fails with EBUSY. Those mounts are detached
 * (lazily, since nothing will use them again) and the removal is tried once more.
 */
export async function removeNodeRoot(root: string): Promise<void> {
  try {
    await rm(root, { recursive: true, force: true, maxRetries: 3 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EBUSY") throw err;
    for (const point of await mountsUnder(root)) await run("umount", ["-l", point]);
    await rm(root, { recursive: true, force: true, maxRetries: 3 });
  }
}
