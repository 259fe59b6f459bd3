/**
 * ADD of a local tar archive, unpacked as Docker does: a regular file whose content,
 * after decompression by magic number (identity, gzip, bzip2, xz), starts with a
 * readable tar header is an archive (moby's isArchivePath); anything else is copied
 * as it is. Entries keep their modes, owners and link targets (tar -x as root).
 */
import { createRequire } from "node:module";
import { posix } from "node:path";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { extract } from "tar-stream";
import type { LayerEntry } from "../build/layer.ts";

const require = createRequire(import.meta.url);

type Format = "gzip" | "bzip2" | "xz" | "zstd" | "identity";

export function compressionOf(head: Buffer): Format {
  if (head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return "gzip";
  if (head.subarray(0, 3).toString("latin1") === "BZh") return "bzip2";
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return "xz";
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return "zstd";
  return "identity";
}

/** Thrown for an archive slipway cannot unpack (zstd: Node 20 has no decoder); the caller names the instruction. */
export class ArchiveError extends Error {}

/** The decompressed bytes; undefined when the data does not decompress (then it is not an archive). */
export function decompress(data: Buffer): Buffer | undefined {
  try {
    switch (compressionOf(data)) {
      case "gzip":
        return gunzipSync(data);
      case "bzip2":
        // seek-bzip and @napi-rs/lzma are loaded on first use: only ADD of such an archive needs them.
        return Buffer.from((require("seek-bzip") as { decode(b: Buffer): Buffer }).decode(data));
      case "xz":
        return (require("@napi-rs/lzma") as typeof import("@napi-rs/lzma")).xz.decompressSync(data);
      case "zstd":
        throw new ArchiveError("a zstd-compressed archive cannot be unpacked (gzip, bzip2, xz and plain tar can)");
      case "identity":
        return data;
    }
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    return undefined;
  }
}

interface Item { name: string; type: string; mode: number; uid: number; gid: number; linkname?: string; content: Buffer }

/** Every entry of a tar; `firstOnly`: stop after the first header (is it a tar at all?). */
async function entries(tar: Buffer, firstOnly = false): Promise<Item[]> {
  const items: Item[] = [];
  const reader = extract();
  await new Promise<void>((resolve, reject) => {
    reader.on("entry", (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        items.push({ name: h.name, type: h.type ?? "file", mode: h.mode ?? 0o644, uid: h.uid ?? 0, gid: h.gid ?? 0, linkname: h.linkname ?? undefined, content: Buffer.concat(chunks) });
        if (firstOnly) {
          reader.destroy();
          resolve();
        } else next();
      });
    });
    reader.on("finish", resolve);
    reader.on("error", reject);
    reader.on("close", resolve);
    Readable.from([tar]).pipe(reader);
  });
  return items;
}

/** Whether ADD unpacks this file's content (as moby's isArchivePath: one tar header can be read). */
export async function isArchive(data: Buffer): Promise<boolean> {
  const tar = decompress(data);
  if (!tar || tar.length < 512) return false;
  return (await entries(tar, true).catch(() => [])).length > 0;
}

/**
 * The archive's entries under `base`, as `tar -x` as root writes them (BuildKit keeps
 * their owners even with ADD --chown). Names cannot
 * leave `base` (`../` is cut, as Docker's untar does). A hard link becomes a copy of
 * its target: layers built here carry no links.
 */
export async function archiveEntries(data: Buffer, base: string): Promise<LayerEntry[]> {
  const tar = decompress(data);
  if (!tar) throw new ArchiveError("the archive cannot be decompressed");
  const items = await entries(tar);
  const inside = (name: string) => posix.join(base, posix.normalize(posix.join("/", name))).replace(/(.)\/+$/, "$1");
  const byPath = new Map(items.map((i) => [inside(i.name), i]));
  const out: LayerEntry[] = [];
  for (const item of items) {
    const path = inside(item.name);
    const who = { uid: item.uid, gid: item.gid };
    const mode = item.mode & 0o7777;
    if (path === base && item.type === "directory") continue; // `./`: the destination itself is left as it is
    if (item.type === "directory") out.push({ type: "directory", path, mode, ...who });
    else if (item.type === "symlink") out.push({ type: "symlink", path, target: item.linkname ?? "", ...who });
    else if (item.type === "link") {
      const target = byPath.get(inside(item.linkname ?? ""));
      out.push({ type: "file", path, mode: (target?.mode ?? mode) & 0o7777, uid: target?.uid ?? who.uid, gid: target?.gid ?? who.gid, content: target?.content ?? Buffer.alloc(0) });
    }
    else if (item.type === "file" || item.type === "contiguous-file") out.push({ type: "file", path, mode, ...who, content: item.content });
    // Devices, fifos and pax headers are not written (a build runs unprivileged).
  }
  return out;
}
