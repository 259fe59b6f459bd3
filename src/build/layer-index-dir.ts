/**
 * The index of a layer the engine has already unpacked (an overlay2 layer directory),
 * read from its metadata instead of downloading and reading its blob: the same paths,
 * kinds, modes and owners that indexing the blob gives (../layer-index.ts), since the
 * directory is what the engine made of that tar. Overlay's own forms are read back as
 * the image format's: a whiteout (character device 0/0) as `.wh.<name>`, an opaque
 * directory (xattr trusted.overlay.opaque=y) as `.wh..wh..opq`.
 *
 * `find` lists every entry with its attributes (no file is read); the few character
 * devices are stat'ed to tell whiteouts from devices; GNU tar reads the directories'
 * extended attributes (directories only, no recursion, so no content either).
 */
import { spawn } from "node:child_process";
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { extract } from "tar-stream";
import { run } from "../util/process.ts";
import { indexEntries, type LayerIndex } from "./layer-index.ts";

interface Listed {
  kind: string;
  mode: number;
  uid: number;
  gid: number;
  path: string;
  target: string;
}

/** Every entry under `dir` (relative paths, `dir` itself left out). */
async function list(dir: string): Promise<Listed[]> {
  // Six NUL-terminated fields per entry: kind, permission bits (octal), uid, gid, path, link target.
  const found = await run("find", [dir, "-mindepth", "1", "-printf", "%y\\0%m\\0%U\\0%G\\0%P\\0%l\\0"]);
  if (found.code !== 0) throw new Error(`find in ${dir} exited ${found.code}: ${found.stderr.trim()}`);
  const fields = found.stdout.split("\0");
  const out: Listed[] = [];
  for (let i = 0; i + 5 < fields.length; i += 6) {
    out.push({ kind: fields[i], mode: parseInt(fields[i + 1], 8), uid: Number(fields[i + 2]), gid: Number(fields[i + 3]), path: fields[i + 4], target: fields[i + 5] });
  }
  return out;
}

/** The directories among `dirs` (relative to `root`) marked opaque. */
async function opaqueDirs(root: string, dirs: string[]): Promise<Set<string>> {
  const opaque = new Set<string>();
  if (dirs.length === 0) return opaque;
  const tar = spawn("tar", ["--xattrs", "--xattrs-include=trusted.overlay.opaque", "--no-recursion", "--null", "-C", root, "-T", "-", "-cf", "-"], { stdio: ["pipe", "pipe", "pipe"] });
  const err: Buffer[] = [];
  tar.stderr.on("data", (b: Buffer) => err.push(b));
  const exited = new Promise<number>((resolve, reject) => tar.on("error", reject).on("close", (code) => resolve(code ?? 1)));
  tar.stdin.on("error", () => undefined);
  tar.stdin.end(Buffer.from(dirs.map((d) => `./${d}\0`).join("")));
  const ex = extract();
  ex.on("entry", (h, stream, next) => {
    const pax = (h.pax ?? {}) as Record<string, string>;
    if (pax["SCHILY.xattr.trusted.overlay.opaque"] === "y") opaque.add(h.name.replace(/^\.\//, "").replace(/\/$/, ""));
    stream.on("end", next);
    stream.resume();
  });
  await pipeline(tar.stdout as Readable, ex);
  const code = await exited;
  if (code !== 0) throw new Error(`tar of ${root}'s directories exited ${code}: ${Buffer.concat(err).toString("utf8").trim()}`);
  return opaque;
}

/** The index of the overlay2 layer directory `dir` (its `diff`), as its blob's would be. */
export async function indexLayerDir(dir: string): Promise<LayerIndex> {
  const entries = await list(dir);
  const opaque = await opaqueDirs(dir, entries.filter((e) => e.kind === "d").map((e) => e.path));
  const headers: { name: string; type: string; mode: number; uid: number; gid: number; linkname?: string }[] = [];
  for (const e of entries) {
    const owner = { mode: e.mode, uid: e.uid, gid: e.gid };
    if (e.kind === "d") {
      headers.push({ name: e.path, type: "directory", ...owner });
      if (opaque.has(e.path)) headers.push({ name: `${e.path}/.wh..wh..opq`, type: "file", ...owner });
    } else if (e.kind === "l") {
      headers.push({ name: e.path, type: "symlink", ...owner, linkname: e.target });
    } else if (e.kind === "c" && (await lstat(join(dir, e.path))).rdev === 0) {
      const slash = e.path.lastIndexOf("/");
      headers.push({ name: `${e.path.slice(0, slash + 1)}.wh.${e.path.slice(slash + 1)}`, type: "file", ...owner });
    } else {
      headers.push({ name: e.path, type: "file", ...owner });
    }
  }
  return indexEntries(headers);
}
