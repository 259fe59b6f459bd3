import { createHash } from "node:crypto";
import { posix } from "node:path";
import { pack } from "tar-stream";

export type LayerEntry =
  | { type: "file"; path: string; mode: number; uid: number; gid: number; content: Buffer }
  | { type: "symlink"; path: string; uid: number; gid: number; target: string }
  | { type: "directory"; path: string; mode: number; uid: number; gid: number }
  /** Deletes `path` from the layers below (OCI whiteout `.wh.<name>`). */
  | { type: "whiteout"; path: string };

export interface Layer {
  /** Uncompressed tar. */
  tar: Buffer;
  /** sha256 of the uncompressed tar, as in an image config's rootfs.diff_ids. */
  diffId: string;
}

const EPOCH = new Date(0);

function tarName(path: string): string {
  return posix.normalize(path).replace(/^\/+/, "");
}

/**
 * A deterministic layer: sorted entries, fixed mtime, numeric owners only and no
 * user/group names, so the same files always give the same diff id on any node.
 */
export async function buildLayer(entries: LayerEntry[]): Promise<Layer> {
  // No implicit parent directories: an entry for /srv would reset the owner and mode of an
  // existing /srv below; the engine creates missing parents when it applies the layer.
  const byPath = new Map(entries.map((e) => [tarName(e.path), { ...e, path: tarName(e.path) }]));
  const sorted = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on("data", (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    archive.on("end", resolve);
    archive.on("error", reject);
  });
  const common = { mtime: EPOCH, uname: "", gname: "" };
  for (const e of sorted) {
    if (e.type === "file") {
      archive.entry({ ...common, name: e.path, mode: e.mode, uid: e.uid, gid: e.gid, size: e.content.length }, e.content);
    } else if (e.type === "symlink") {
      archive.entry({ ...common, name: e.path, type: "symlink", linkname: e.target, mode: 0o777, uid: e.uid, gid: e.gid });
    } else if (e.type === "directory") {
      archive.entry({ ...common, name: `${e.path}/`, type: "directory", mode: e.mode, uid: e.uid, gid: e.gid });
    } else {
      const whiteout = posix.join(posix.dirname(e.path), `.wh.${posix.basename(e.path)}`);
      archive.entry({ ...common, name: whiteout, mode: 0o644, uid: 0, gid: 0, size: 0 }, Buffer.alloc(0));
    }
  }
  archive.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  return { tar, diffId: `sha256:${createHash("sha256").update(tar).digest("hex")}` };
}
