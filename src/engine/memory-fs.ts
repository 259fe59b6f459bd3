import { posix } from "node:path";
import { pack } from "tar-stream";
import type { LayerEntry } from "../build/layer.ts";
import { readTar, type TarItem } from "../build/tar-read.ts";

/** One path of a container filesystem kept in memory. */
export type FsEntry =
  | { type: "file"; mode: number; uid: number; gid: number; content: Buffer }
  | { type: "directory"; mode: number; uid: number; gid: number }
  | { type: "symlink"; uid: number; gid: number; target: string };

/** `/a/b/` and `a/./b` are both `a/b`; the root is "". */
export function fsKey(path: string): string {
  const n = posix.normalize(`/${path}`).replace(/\/+$/, "");
  return n.replace(/^\/+/, "");
}

/**
 * A container's filesystem: the image's layers applied in order (OCI whiteouts and
 * opaque directories honoured), then the changes a run makes, tracked so they can
 * become the run's layer.
 */
export class MemoryFs {
  readonly #entries = new Map<string, FsEntry>();
  readonly #base = new Set<string>();
  readonly #changed = new Set<string>();
  readonly #removed = new Set<string>();

  static async fromLayers(tars: Buffer[]): Promise<MemoryFs> {
    const fs = new MemoryFs();
    for (const tar of tars) fs.#apply(await readTar(tar));
    for (const key of fs.#entries.keys()) fs.#base.add(key);
    return fs;
  }

  #apply(items: TarItem[]): void {
    for (const item of items) {
      const key = fsKey(item.name);
      const dir = posix.dirname(key) === "." ? "" : posix.dirname(key);
      const base = posix.basename(key);
      if (base === ".wh..wh..opq") this.#drop(dir, false);
      else if (base.startsWith(".wh.")) this.#drop(fsKey(`${dir}/${base.slice(4)}`), true);
      else if (item.type === "directory") this.#entries.set(key, { type: "directory", mode: item.mode, uid: item.uid, gid: item.gid });
      else if (item.type === "symlink") this.#entries.set(key, { type: "symlink", uid: item.uid, gid: item.gid, target: item.linkname ?? "" });
      else if (item.type === "link") {
        const target = this.#entries.get(fsKey(item.linkname ?? ""));
        if (target) this.#entries.set(key, { ...target });
      } else if (item.type === "file" || item.type === "contiguous-file") {
        this.#entries.set(key, { type: "file", mode: item.mode, uid: item.uid, gid: item.gid, content: item.content });
      }
    }
  }

  /** Removes `key` (with `self`) and everything under it. */
  #drop(key: string, self: boolean): string[] {
    const gone: string[] = [];
    for (const k of [...this.#entries.keys()]) {
      if ((self && k === key) || (k !== key && (key === "" || k.startsWith(`${key}/`)))) {
        this.#entries.delete(k);
        gone.push(k);
      }
    }
    return gone;
  }

  get(path: string): FsEntry | undefined {
    const key = fsKey(path);
    return key === "" ? { type: "directory", mode: 0o755, uid: 0, gid: 0 } : this.#entries.get(key);
  }

  set(path: string, entry: FsEntry): void {
    const key = fsKey(path);
    this.#entries.set(key, entry);
    this.#changed.add(key);
    this.#removed.delete(key);
  }

  /** Removes a path and what is under it; false when there was nothing. */
  remove(path: string): boolean {
    const gone = this.#drop(fsKey(path), true);
    for (const k of gone) {
      this.#changed.delete(k);
      if (this.#base.has(k)) this.#removed.add(k);
    }
    return gone.length > 0;
  }

  /** What the run changed, as layer entries: new and changed paths, whiteouts for removed ones. */
  changes(): LayerEntry[] {
    const out: LayerEntry[] = [];
    for (const key of this.#changed) {
      const e = this.#entries.get(key);
      if (!e) continue;
      const path = `/${key}`;
      if (e.type === "file") out.push({ type: "file", path, mode: e.mode, uid: e.uid, gid: e.gid, content: e.content });
      else if (e.type === "directory") out.push({ type: "directory", path, mode: e.mode, uid: e.uid, gid: e.gid });
      else out.push({ type: "symlink", path, uid: e.uid, gid: e.gid, target: e.target });
    }
    // A removed directory's whiteout covers what was under it.
    const removed = [...this.#removed].filter((k) => ![...this.#removed].some((o) => o !== k && k.startsWith(`${o}/`)));
    for (const key of removed) out.push({ type: "whiteout", path: `/${key}` });
    return out;
  }

  /** A path as the engine's archive API gives it: a tar whose entries are named from the path's last component. */
  async archive(path: string): Promise<Buffer | undefined> {
    const key = fsKey(path);
    const top = this.get(key);
    if (!top) return undefined;
    const name = key === "" ? "." : posix.basename(key);
    const under = [...this.#entries.entries()].filter(([k]) => key === "" || k.startsWith(`${key}/`)).sort(([a], [b]) => (a < b ? -1 : 1));
    const archive = pack();
    const chunks: Buffer[] = [];
    archive.on("data", (c: unknown) => chunks.push(c as Buffer));
    const ended = new Promise<void>((resolve, reject) => archive.on("end", resolve).on("error", reject));
    const add = (tarName: string, e: FsEntry) => {
      const common = { name: tarName, uid: e.uid, gid: e.gid, mtime: new Date(0) };
      if (e.type === "file") archive.entry({ ...common, mode: e.mode, size: e.content.length }, e.content);
      else if (e.type === "directory") archive.entry({ ...common, name: `${tarName}/`, type: "directory", mode: e.mode });
      else archive.entry({ ...common, type: "symlink", linkname: e.target, mode: 0o777 });
    };
    add(name, top);
    for (const [k, e] of under) add(posix.join(name, key === "" ? k : k.slice(key.length + 1)), e);
    archive.finalize();
    await ended;
    return Buffer.concat(chunks);
  }
}
