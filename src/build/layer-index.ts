/**
 * What a layer holds, without its file contents: every path with its kind, and the mode
 * and owner of directories and symlinks. A file layer made in Node must carry entries
 * for the parent directories it writes into, with the attributes they already have (as
 * BuildKit's diff does): a tar without them makes the engine create those directories
 * 0755 root:root in the new layer, over the parent's. With the indexes of a parent's
 * layers those attributes are known without the parent's files.
 *
 * Stage manifests carry the indexes of their layers (annotation LAYER_INDEX_ANNOTATION,
 * by diff id), so a later build on any node reads them with the parent's manifest and
 * downloads no layer; a layer without one (a layer the engine pushed) is downloaded
 * once per build and indexed.
 */
import { Readable } from "node:stream";
import { posix } from "node:path";
import { deflateRawSync, inflateRawSync, createGunzip } from "node:zlib";
import { extract } from "tar-stream";

/** A path of a filesystem as a stat would describe it. */
export interface PathAttrs {
  type: "directory" | "symlink" | "file";
  mode: number;
  uid: number;
  gid: number;
  target?: string;
}

type Entry = PathAttrs | { type: "whiteout" } | (PathAttrs & { opaque: true });

/** One layer's paths (absolute, normalised). */
export type LayerIndex = Map<string, Entry>;

/** Manifest annotation: `{ "<diff id>": "<base64 of deflated JSON>" }` for the layers whose index is known. */
export const LAYER_INDEX_ANNOTATION = "io.slipway.layer-index";

/** A layer whose index encodes to more than this is not annotated (it is downloaded when needed). */
const MAX_ENCODED_LAYER = 256 * 1024;
/** The whole annotation stays under this (registries cap manifests at a few MiB). */
const MAX_ENCODED_TOTAL = 1024 * 1024;

export function absolutePath(name: string): string {
  const p = posix.normalize(`/${name}`);
  return p.length > 1 ? p.replace(/\/+$/, "") : p;
}

/** `/a/b/c` → `/a`, `/a/b` (never `/`). */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let p = posix.dirname(path); p !== "/"; p = posix.dirname(p)) out.unshift(p);
  return out;
}

/** The index of an uncompressed layer tar, streamed: contents are skipped, never held. */
export async function indexTar(tar: Readable): Promise<LayerIndex> {
  const index: LayerIndex = new Map();
  const implied = new Set<string>();
  const parser = extract();
  const done = new Promise<void>((resolve, reject) => {
    parser.on("entry", (h, stream, next) => {
      addHeader(index, implied, h);
      stream.on("end", next);
      stream.resume();
    });
    parser.on("finish", resolve);
    parser.on("error", reject);
  });
  tar.on("error", (err) => parser.destroy(err)).pipe(parser);
  await done;
  // The engine creates a parent an entry lacks as 0755 root:root in the layer (overlay2's untar).
  for (const p of implied) if (!index.has(p)) index.set(p, { type: "directory", mode: 0o755, uid: 0, gid: 0 });
  return index;
}

/** A layer this process cannot index (zstd, not a tar): its stage is built on the engine, which can look. */
export class UnreadableLayer extends Error {}

/** A gzip-compressed (or plain) layer tar. */
export async function indexBlob(stream: Readable): Promise<LayerIndex> {
  const head: Buffer[] = [];
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (!first.done) head.push(Buffer.from(first.value as Uint8Array));
  const rest = Readable.from((async function* () {
    yield* head;
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) yield Buffer.from(r.value as Uint8Array);
  })());
  const gzip = head[0]?.[0] === 0x1f && head[0]?.[1] === 0x8b;
  if (head[0] && head[0].readUInt32LE(0) === 0xfd2fb528) {
    rest.destroy();
    throw new UnreadableLayer("a zstd-compressed layer (Node 20 has no decoder)");
  }
  const gunzip = gzip ? createGunzip() : undefined;
  return indexTar(gunzip ? rest.on("error", (err) => gunzip.destroy(err)).pipe(gunzip) : rest).catch((err: unknown) => {
    throw new UnreadableLayer(`the layer cannot be read: ${(err as Error).message}`);
  });
}

interface HeaderLike {
  name: string;
  type?: string | null;
  mode?: number | null;
  uid?: number | null;
  gid?: number | null;
  linkname?: string | null;
}

function addHeader(index: LayerIndex, implied: Set<string>, h: HeaderLike): void {
  const path = absolutePath(h.name);
  if (path === "/") return;
  const base = posix.basename(path);
  const dir = posix.dirname(path);
  for (const a of ancestors(path)) implied.add(a);
  if (base === ".wh..wh..opq") {
    const e = index.get(dir);
    index.set(dir, { ...(e && e.type !== "whiteout" ? e : { type: "directory", mode: 0o755, uid: 0, gid: 0 }), opaque: true } as Entry);
    return;
  }
  if (base.startsWith(".wh.")) {
    index.set(posix.join(dir, base.slice(4)), { type: "whiteout" });
    return;
  }
  const owner = { mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0 };
  const opaque = (index.get(path) as { opaque?: boolean } | undefined)?.opaque === true;
  if (h.type === "directory") index.set(path, { type: "directory", ...owner, ...(opaque ? { opaque: true } : {}) } as Entry);
  else if (h.type === "symlink") index.set(path, { type: "symlink", ...owner, target: h.linkname ?? "" });
  else index.set(path, { type: "file", mode: 0, uid: 0, gid: 0 }); // a file's attributes are never asked for
}

/** An index of entries built here (no tar to read). */
export function indexEntries(headers: HeaderLike[]): LayerIndex {
  const index: LayerIndex = new Map();
  const implied = new Set<string>();
  for (const h of headers) addHeader(index, implied, h);
  for (const p of implied) if (!index.has(p)) index.set(p, { type: "directory", mode: 0o755, uid: 0, gid: 0 });
  return index;
}

/**
 * What one layer says of `path`: its attributes, null when it hides the path (a
 * whiteout, an opaque directory or a non-directory above it), undefined when it says
 * nothing (look at the layer below). Symlinks are not followed.
 */
export function decide(index: LayerIndex, path: string): PathAttrs | null | undefined {
  const p = absolutePath(path);
  const hit = index.get(p);
  if (hit) return hit.type === "whiteout" ? null : { type: hit.type, mode: hit.mode, uid: hit.uid, gid: hit.gid, ...(hit.target !== undefined ? { target: hit.target } : {}) };
  for (const a of ancestors(p)) {
    const e = index.get(a);
    if (e && (e.type !== "directory" || "opaque" in e)) return null;
  }
  return undefined;
}

/** `path` in the filesystem of these layers (top first), as overlay shows it: the topmost layer that says anything decides. */
export function lookup(layers: LayerIndex[], path: string): PathAttrs | undefined {
  if (absolutePath(path) === "/") return { type: "directory", mode: 0o755, uid: 0, gid: 0 };
  for (const index of layers) {
    const said = decide(index, path);
    if (said !== undefined) return said ?? undefined;
  }
  return undefined;
}

type Row = [string, string, number?, number?, number?, string?];

/**
 * The index as an annotation value. Files are left out (a node_modules layer has ten
 * times more files than directories): a lookup only asks about directories a layer
 * writes into, and a file there would fail BuildKit's COPY anyway.
 */
export function encodeIndex(index: LayerIndex): string {
  const kept = [...index].filter(([, e]) => e.type !== "file");
  const rows: Row[] = kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, e]) => {
    if (e.type === "whiteout") return [path, "w"];
    if (e.type === "file") return [path, "f"];
    const kind = e.type === "symlink" ? "l" : "opaque" in e ? "o" : "d";
    return e.type === "symlink" ? [path, kind, e.mode, e.uid, e.gid, e.target ?? ""] : [path, kind, e.mode, e.uid, e.gid];
  });
  return deflateRawSync(Buffer.from(JSON.stringify(rows))).toString("base64");
}

export function decodeIndex(text: string): LayerIndex {
  const rows = JSON.parse(inflateRawSync(Buffer.from(text, "base64")).toString("utf8")) as Row[];
  const index: LayerIndex = new Map();
  for (const [path, kind, mode = 0, uid = 0, gid = 0, target] of rows) {
    if (kind === "w") index.set(path, { type: "whiteout" });
    else if (kind === "f") index.set(path, { type: "file", mode: 0, uid: 0, gid: 0 });
    else if (kind === "l") index.set(path, { type: "symlink", mode, uid, gid, target: target ?? "" });
    else index.set(path, { type: "directory", mode, uid, gid, ...(kind === "o" ? { opaque: true } : {}) } as Entry);
  }
  return index;
}

/** The indexes a manifest's annotation carries, by diff id (unreadable ones are ignored). */
export function annotatedIndexes(annotations: Record<string, string> | undefined): Map<string, string> {
  const raw = annotations?.[LAYER_INDEX_ANNOTATION];
  if (!raw) return new Map();
  try {
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    return new Map(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return new Map();
  }
}

/**
 * The annotation for a manifest over `layers` (diff ids, bottom first): the encoded index of
 * each layer given, top layers first while the total stays under the cap. Undefined: none.
 */
export function indexAnnotation(layers: string[], encoded: (digest: string) => string | undefined): string | undefined {
  const out: Record<string, string> = {};
  let total = 0;
  for (const digest of [...layers].reverse()) {
    const text = encoded(digest);
    if (!text || text.length > MAX_ENCODED_LAYER || total + text.length > MAX_ENCODED_TOTAL) continue;
    out[digest] = text;
    total += text.length;
  }
  if (Object.keys(out).length === 0) return undefined;
  // Bottom first, as the layers are listed: the same layers always give the same bytes.
  return JSON.stringify(Object.fromEntries(layers.filter((d) => d in out).map((d) => [d, out[d]])));
}
