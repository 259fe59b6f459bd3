import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { createGzip, gzip } from "node:zlib";
import { pack, type Pack } from "tar-stream";
import type { PathAttrs } from "./layer-index.ts";

export type { PathAttrs } from "./layer-index.ts";

/** File content read once, when the layer is written: streamed, so its size is not bounded by memory. */
export interface FileSource {
  size: number;
  open(): Readable;
}

export type LayerEntry =
  | { type: "file"; path: string; mode: number; uid: number; gid: number; content: Buffer | FileSource }
  | { type: "symlink"; path: string; uid: number; gid: number; target: string }
  /** A hard link to `target`, a file entry of the same layer (written before it: paths sort). */
  | { type: "link"; path: string; mode: number; uid: number; gid: number; target: string }
  /**
   * `made`: created by mkdir (WORKDIR, a COPY's missing destination or parent), not copied:
   * under a setgid directory it gets the setgid bit and, unless `made: "chown"` (its
   * owner was set explicitly), that directory's group, as the kernel does (see withParents).
   */
  | { type: "directory"; path: string; mode: number; uid: number; gid: number; made?: "inherit" | "chown" }
  /** Deletes `path` from the layers below (OCI whiteout `.wh.<name>`). */
  | { type: "whiteout"; path: string };

/** What a path is in the parent's filesystem (undefined: it does not exist). Symlinks are not followed. */
export type Stat = (path: string) => Promise<PathAttrs | undefined>;

const MAX_LINKS = 40;

/**
 * `path` with the symlinks among its parent directories resolved in the parent's
 * filesystem, as BuildKit's COPY follows them (`/bin/x` with `/bin -> usr/bin` is
 * `/usr/bin/x`). Directories the layer makes itself (`own`) are not looked up.
 */
async function resolveParents(path: string, stat: Stat, own: Set<string>): Promise<string> {
  const parts = path.split("/").filter(Boolean);
  const name = parts.pop();
  if (name === undefined) return "/";
  let dir = "/";
  let hops = 0;
  while (parts.length > 0) {
    const next = posix.join(dir, parts.shift() as string);
    const attrs = own.has(tarName(next)) ? undefined : await stat(next);
    if (attrs?.type === "symlink" && hops++ < MAX_LINKS) {
      const target = posix.normalize(posix.isAbsolute(attrs.target ?? "") ? (attrs.target as string) : posix.join(dir, attrs.target ?? ""));
      // The target may itself lie under symlinks: walk it again from the root.
      parts.unshift(...target.split("/").filter(Boolean));
      dir = "/";
      continue;
    }
    dir = next;
  }
  return posix.join(dir, name);
}

/**
 * The entries with their parent directories, as BuildKit's diff carries them: a parent
 * that exists in the parent image keeps its mode and owner, one that does not is made
 * 0755 root:root (an entry the caller gives, such as a --chown directory, wins). Without
 * them the engine would make every parent 0755 root:root in this layer, over the parent's.
 * Paths under a symlinked directory are moved to where the link points.
 */
export async function withParents(entries: LayerEntry[], stat: Stat): Promise<LayerEntry[]> {
  const cache = new Map<string, Promise<PathAttrs | undefined>>();
  const cached: Stat = (p) => {
    let hit = cache.get(p);
    if (!hit) cache.set(p, (hit = stat(p)));
    return hit;
  };
  const own = new Set(entries.filter((e) => e.type === "directory").map((e) => tarName(e.path)));
  const moved: LayerEntry[] = [];
  for (const e of entries) {
    const path = await resolveParents(posix.join("/", e.path), cached, own);
    moved.push(e.type === "link" ? { ...e, path, target: await resolveParents(posix.join("/", e.target), cached, own) } : { ...e, path });
  }
  const have = new Set(moved.map((e) => tarName(e.path)));
  const parents: LayerEntry[] = [];
  for (const e of moved) {
    for (let dir = posix.dirname(posix.join("/", tarName(e.path))); dir !== "/"; dir = posix.dirname(dir)) {
      if (have.has(tarName(dir))) continue;
      have.add(tarName(dir));
      const attrs = await cached(dir);
      if (attrs && attrs.type !== "directory") continue; // not a directory: the engine's apply decides
      parents.push(attrs ? { type: "directory", path: dir, mode: attrs.mode, uid: attrs.uid, gid: attrs.gid } : { type: "directory", path: dir, mode: 0o755, uid: 0, gid: 0, made: "inherit" });
    }
  }
  const all = [...parents, ...moved];
  // mkdir under a setgid directory: the new directory is setgid too, and of that group
  // unless chowned (BuildKit makes them with mkdir in the snapshot, so the kernel decides).
  const byPath = new Map(all.map((e) => [posix.join("/", tarName(e.path)), e]));
  const made = all.filter((e): e is Extract<LayerEntry, { type: "directory" }> => e.type === "directory" && e.made !== undefined);
  for (const e of made.sort((a, b) => depth(a.path) - depth(b.path))) {
    const up = posix.dirname(posix.join("/", tarName(e.path)));
    const above = byPath.get(up);
    const attrs = above?.type === "directory" ? above : up === "/" ? undefined : await cached(up);
    if (!attrs || attrs.type !== "directory" || (attrs.mode & 0o2000) === 0) continue;
    e.mode |= 0o2000;
    if (e.made === "inherit") e.gid = attrs.gid;
  }
  return all;
}

const depth = (path: string) => tarName(path).split("/").length;

const gzipAsync = promisify(gzip);

/** An uncompressed tar layer in a temporary file (or in memory): open it as often as needed, dispose of it once used. */
export interface Layer {
  /** sha256 of the uncompressed tar, as in an image config's rootfs.diff_ids. */
  diffId: string;
  size: number;
  open(): Readable;
  dispose(): Promise<void>;
  /** The whole tar, for a small layer built in memory. */
  bytes?: Buffer;
}

/**
 * A layer whose files are all in memory and add up to less than this is built in memory:
 * a few small files (an app change) cost no temporary file, no writes and reads of it.
 */
const IN_MEMORY_BYTES = 1 << 20;

const EPOCH = new Date(0);

function tarName(path: string): string {
  return posix.normalize(path).replace(/^\/+/, "");
}

/**
 * A deterministic layer: sorted entries, fixed mtime, numeric owners only and no
 * user/group names, so the same files always give the same diff id on any node.
 * Written to a temporary file while hashed: memory stays bounded whatever the file sizes.
 */
export async function buildLayer(entries: LayerEntry[]): Promise<Layer> {
  // No implicit parent directories here: an entry for /srv would reset the owner and mode of
  // an existing /srv below (withParents adds them with the parent's attributes).
  const byPath = new Map(entries.map((e) => [tarName(e.path), { ...e, path: tarName(e.path) }]));
  const sorted = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let held = 0;
  for (const e of sorted) held += e.type !== "file" ? 0 : Buffer.isBuffer(e.content) ? e.content.length : Infinity;
  if (held < IN_MEMORY_BYTES) return memoryLayer(sorted);
  const dir = await mkdtemp(join(tmpdir(), "slipway-layer-"));
  const file = join(dir, "layer.tar");
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const archive = pack();
    const hash = createHash("sha256");
    let size = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    const written = pipeline(archive, hashing, createWriteStream(file));
    // The entries' own error (naming the file) comes before the pipeline's echo of it.
    const [entriesDone, fileDone] = await Promise.allSettled([writeEntries(archive, sorted), written]);
    if (entriesDone.status === "rejected") throw entriesDone.reason;
    if (fileDone.status === "rejected") throw fileDone.reason;
    return { diffId: `sha256:${hash.digest("hex")}`, size, open: () => createReadStream(file), dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** The same tar as buildLayer writes to its file, held in memory (every file's content is). */
async function memoryLayer(sorted: LayerEntry[]): Promise<Layer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((resolve, reject) => archive.on("data", (c: unknown) => chunks.push(c as Buffer)).on("end", resolve).on("error", reject).on("close", () => reject(new Error("layer tar closed before its end"))));
  const [entriesDone, tarDone] = await Promise.allSettled([writeEntries(archive, sorted), ended]);
  if (entriesDone.status === "rejected") throw entriesDone.reason;
  if (tarDone.status === "rejected") throw tarDone.reason;
  const bytes = Buffer.concat(chunks);
  return {
    diffId: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
    size: bytes.length,
    bytes,
    open: () => Readable.from([bytes], { objectMode: false }),
    dispose: async () => undefined,
  };
}

async function writeEntries(archive: Pack, sorted: LayerEntry[]): Promise<void> {
  const common = { mtime: EPOCH, uname: "", gname: "" };
  try {
    for (const e of sorted) {
      if (e.type === "file") {
        const content = e.content;
        const header = { ...common, name: e.path, mode: e.mode, uid: e.uid, gid: e.gid, size: Buffer.isBuffer(content) ? content.length : content.size };
        if (Buffer.isBuffer(content)) archive.entry(header, content);
        else await pipeline(content.open(), archive.entry(header) as unknown as Writable);
      } else if (e.type === "symlink") {
        archive.entry({ ...common, name: e.path, type: "symlink", linkname: e.target, mode: 0o777, uid: e.uid, gid: e.gid });
      } else if (e.type === "link") {
        archive.entry({ ...common, name: e.path, type: "link", linkname: tarName(e.target), mode: e.mode, uid: e.uid, gid: e.gid });
      } else if (e.type === "directory") {
        archive.entry({ ...common, name: `${e.path}/`, type: "directory", mode: e.mode, uid: e.uid, gid: e.gid });
      } else {
        const whiteout = posix.join(posix.dirname(e.path), `.wh.${posix.basename(e.path)}`);
        archive.entry({ ...common, name: whiteout, mode: 0o644, uid: 0, gid: 0, size: 0 }, Buffer.alloc(0));
      }
    }
    archive.finalize();
  } catch (err) {
    archive.destroy(err as Error);
    throw err;
  }
}

/** The whole tar in memory: for small layers (tests, the demo's base image). */
export async function layerBytes(layer: Layer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of layer.open()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Past this, gzipLayer gives up: the compressed bytes are held in memory until uploaded. */
export const MAX_COMPRESSED_IN_MEMORY = 64 * 1024 * 1024;

/**
 * The layer gzip-compressed as registries store it (level 6, deterministic), with
 * its digest: streamed from the tar file, so only the compressed bytes are held,
 * and at most `maxBytes` of them; undefined when it compresses to more.
 */
export async function gzipLayer(layer: Layer, maxBytes = MAX_COMPRESSED_IN_MEMORY): Promise<{ digest: string; data: Uint8Array } | undefined> {
  if (layer.bytes) {
    // One call to zlib's thread pool; the same bytes as the stream below gives.
    const data = await gzipAsync(layer.bytes, { level: 6 });
    return data.length > maxBytes ? undefined : { digest: `sha256:${createHash("sha256").update(data).digest("hex")}`, data };
  }
  const hash = createHash("sha256");
  const chunks: Buffer[] = [];
  let size = 0;
  const tooLarge = new Error("compressed layer too large");
  try {
    await pipeline(
      layer.open(),
      createGzip({ level: 6 }),
      new Writable({
        write(chunk: Buffer, _enc, done) {
          size += chunk.length;
          if (size > maxBytes) return done(tooLarge);
          hash.update(chunk);
          chunks.push(chunk);
          done();
        },
      }),
    );
  } catch (err) {
    if (err === tooLarge) return undefined;
    throw err;
  }
  return { digest: `sha256:${hash.digest("hex")}`, data: Buffer.concat(chunks) };
}
