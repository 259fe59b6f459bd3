/**
 * A cache directory as one gzip tar layer, and back (node-tar: modes, owners when root,
 * mtimes, symlinks and hard links kept; extraction refuses absolute paths and `..`).
 * The layer is held in memory: the size limit bounds it.
 */
import { createHash } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { create, extract } from "tar";

export interface PackedLayer {
  /** sha256:... of the gzip blob. */
  digest: string;
  /** sha256:... of the uncompressed tar (the config's diff id). */
  diffId: string;
  data: Uint8Array;
}

/** Packs the directory's content (paths relative to it, sorted). */
export async function packDirectory(dir: string): Promise<PackedLayer> {
  const names = (await readdir(dir)).sort();
  const tarHash = createHash("sha256");
  const gzHash = createHash("sha256");
  const chunks: Buffer[] = [];
  const tap = (hash: ReturnType<typeof createHash>, keep: boolean) =>
    new Transform({ transform(chunk: Buffer, _enc, done) { hash.update(chunk); if (keep) chunks.push(chunk); done(null, keep ? undefined : chunk); } });
  const tar = create({ cwd: dir, portable: false, filter: (_path, st) => !("isFile" in st) || st.isFile() || st.isDirectory() || st.isSymbolicLink() }, names);
  await pipeline(tar as unknown as Readable, tap(tarHash, false), createGzip(), tap(gzHash, true));
  return { digest: `sha256:${gzHash.digest("hex")}`, diffId: `sha256:${tarHash.digest("hex")}`, data: Buffer.concat(chunks) };
}

/** Empties the directory, keeping the directory itself (its mode and owner). */
export async function clearDirectory(dir: string): Promise<void> {
  const names = await readdir(dir);
  await Promise.all(names.map((n) => rm(join(dir, n), { recursive: true, force: true })));
}

/** Unpacks a (gzip) tar stream into the directory. */
export async function unpackInto(dir: string, stream: ReadableStream<Uint8Array>): Promise<void> {
  const source = Readable.fromWeb(stream as import("node:stream/web").ReadableStream<Uint8Array>);
  await pipeline(source, extract({ cwd: dir, strict: true }) as unknown as NodeJS.WritableStream);
}
