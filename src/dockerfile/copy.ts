/**
 * COPY/ADD layers, built in Node: context files (no container, so appended in the
 * registry when owners are numeric) and files of an earlier stage (read through the
 * engine, which has that stage).
 */
import { chmod, mkdir, symlink, writeFile } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import type { LayerEntry, Stat } from "../build/layer.ts";
import type { OwnerResolver } from "../build/stages/owners.ts";
import { readTar, type TarItem } from "../build/tar-read.ts";
import type { Engine } from "../engine/types.ts";
import type { RuntimeConfig } from "../image/index.ts";
import { archiveEntries, isArchive } from "./archive.ts";
import { fetchUrl, type UrlSource } from "./url.ts";
import { readEntry, type BuildContext, type Selected } from "./context.ts";
import type { InlineFile } from "./types.ts";

export interface CopySpec {
  dest: string;
  chown?: string;
  chmod?: number;
  /** ADD's http(s) sources, and ADD --unpack (URL content is unpacked only with it). */
  urls?: UrlSource[];
  unpack?: boolean;
  /** A source is a directory: the destination is a directory, made if missing (even with nothing in it). */
  directory?: boolean;
}

/** The destination as an absolute path: a relative one is under the parent's WORKDIR. */
export function destination(dest: string, config: RuntimeConfig | undefined): string {
  const dir = config?.WorkingDir || "/";
  return posix.normalize(posix.isAbsolute(dest) ? dest : posix.join(dir, dest));
}

async function ownerOf(spec: CopySpec, owners: OwnerResolver): Promise<{ uid: number; gid: number } | undefined> {
  if (spec.chown === undefined) return undefined;
  const [user, group] = spec.chown.split(":");
  return owners(user || undefined, group || undefined);
}

/**
 * With --chown, BuildKit gives the directories a COPY creates (the destination and its
 * missing parents) that owner; existing ones are left alone, so the parent must be looked at.
 */
async function createdDirectories(base: string, owner: { uid: number; gid: number }, stat: Stat | undefined): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  for (let dir = base; dir !== "/" && stat && !(await stat(dir)); dir = posix.dirname(dir)) {
    out.push({ type: "directory", path: dir, mode: 0o755, ...owner, made: "chown" });
  }
  return out;
}

/**
 * The selected files that are hard links of an earlier selected one (same inode): each
 * with that first one, which the layer holds as a file; the others are links to it, as
 * BuildKit copies them.
 */
export function hardLinks(selected: Selected[]): Map<Selected, Selected> {
  const first = new Map<string, Selected>();
  const out = new Map<Selected, Selected>();
  const files = selected.filter((s) => s.entry.type === "file" && s.entry.inode !== undefined && !s.unpack);
  for (const s of [...files].sort((a, b) => (a.destPath < b.destPath ? -1 : a.destPath > b.destPath ? 1 : 0))) {
    const seen = first.get(s.entry.inode as string);
    if (seen) out.set(s, seen);
    else first.set(s.entry.inode as string, s);
  }
  return out;
}

export async function contextEntries(
  ctx: BuildContext, selected: Selected[], spec: CopySpec, owners: OwnerResolver, config?: RuntimeConfig, stat?: Stat, inline: InlineFile[] = [],
): Promise<LayerEntry[]> {
  const base = destination(spec.dest, config);
  const owner = (await ownerOf(spec, owners)) ?? { uid: 0, gid: 0 };
  const destIsDir = spec.dest.endsWith("/") || spec.dest === "." || spec.dest.endsWith("/.");
  const intoDir = selected.some((s) => s.destPath !== "" || s.unpack) || (inline.length > 0 && destIsDir);
  const out: LayerEntry[] = spec.chown !== undefined ? await createdDirectories(intoDir || spec.directory ? base : posix.dirname(base), owner, stat) : [];
  // A directory source's contents go into the destination, made even when there are none.
  if (spec.directory && spec.chown === undefined && stat && !(await stat(base))) out.push({ type: "directory", path: base, mode: 0o755, uid: 0, gid: 0, made: "inherit" });
  const links = hardLinks(selected);
  const at = (destPath: string) => (destPath === "" ? base : posix.join(base, destPath));
  for (const picked of selected) {
    const { entry, destPath, unpack } = picked;
    const path = at(destPath);
    const linked = links.get(picked);
    if (linked) {
      out.push({ type: "link", path, target: at(linked.destPath), mode: spec.chmod ?? entry.mode, ...owner });
      continue;
    }
    // An archive is unpacked into the destination, a directory whatever its spelling (as Docker
    // does); its entries keep their own owners even with --chown, as in BuildKit.
    if (unpack) {
      out.push(...(await archiveEntries(await readEntry(ctx, entry), base)));
      continue;
    }
    const mode = spec.chmod ?? entry.mode;
    if (entry.type === "directory") out.push({ type: "directory", path, mode, ...owner });
    else if (entry.type === "symlink") out.push({ type: "symlink", path, target: entry.target ?? "", ...owner });
    else out.push({ type: "file", path, mode, ...owner, content: await readEntry(ctx, entry) });
  }
  out.push(...(await urlEntries(spec, base, destIsDir || selected.length > 0 || inline.length > 0 || (spec.urls ?? []).length > 1, spec.chown !== undefined ? owner : undefined)));
  // Heredoc sources (`COPY <<EOF /path`) are files named by the heredoc, 0644 as BuildKit makes them.
  for (const file of inline) {
    out.push({ type: "file", path: destIsDir ? posix.join(base, file.name) : base, mode: spec.chmod ?? 0o644, ...owner, content: Buffer.from(file.content) });
  }
  return out;
}

/** ADD <url>: one 0600 file (BuildKit's mode) named after the URL under a directory destination. */
async function urlEntries(spec: CopySpec, base: string, intoDir: boolean, owner: { uid: number; gid: number } | undefined): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  for (const source of spec.urls ?? []) {
    const got = source.data && source.name ? { data: source.data, name: source.name } : await fetchUrl(source.url, source.digest);
    const who = owner ?? { uid: 0, gid: 0 };
    if (spec.unpack && (await isArchive(got.data))) out.push(...(await archiveEntries(got.data, base)));
    else out.push({ type: "file", path: intoDir ? posix.join(base, got.name) : base, mode: spec.chmod ?? 0o600, ...who, content: got.data });
  }
  return out;
}

/** Thrown when a COPY --from source path does not exist in the source stage. */
export class MissingStagePath extends Error {}

/** Files of `sources` in the image `sourceRef`, placed as COPY places them; owners kept unless --chown. */
export async function stageEntries(
  engine: Engine, sourceRef: string, sources: string[], spec: CopySpec, owners: OwnerResolver, config?: RuntimeConfig, stat?: Stat,
): Promise<LayerEntry[]> {
  const base = destination(spec.dest, config);
  const destIsDir = spec.dest.endsWith("/") || spec.dest === "." || spec.dest.endsWith("/.");
  const forced = await ownerOf(spec, owners);
  const out: LayerEntry[] = forced ? await createdDirectories(destIsDir || sources.length > 1 ? base : posix.dirname(base), forced, stat) : [];
  for (const source of sources) {
    const { path, items } = await followedSource(engine, sourceRef, source);
    const contents = new Map(items.map((i) => [i.name, i.content]));
    const top = items[0];
    // Where each archive entry goes: a hard link points at its target's new place.
    const placed = new Map<string, string>();
    for (const item of items) {
      const rel = item.name.split("/").slice(1).join("/");
      if (top.type === "directory" && rel === "") continue; // a directory source copies its contents
      const name = item === top ? posix.basename(path) : posix.basename(item.name);
      const to = top.type === "directory" ? posix.join(base, rel) : destIsDir || sources.length > 1 ? posix.join(base, name) : base;
      placed.set(item.name, to);
      const owner = forced ?? { uid: item.uid, gid: item.gid };
      const mode = spec.chmod ?? item.mode;
      if (item.type === "directory") out.push({ type: "directory", path: to, mode, ...owner });
      else if (item.type === "symlink") out.push({ type: "symlink", path: to, target: item.linkname ?? "", ...owner });
      else if (item.type === "link" && placed.has(item.linkname ?? "")) {
        // A hard link to a file copied here stays a link, as BuildKit copies it.
        out.push({ type: "link", path: to, target: placed.get(item.linkname ?? "") as string, mode, ...owner });
      } else if (item.type === "file" || item.type === "link") {
        const content = item.type === "link" ? contents.get(item.linkname ?? "") ?? Buffer.alloc(0) : item.content;
        out.push({ type: "file", path: to, mode, ...owner, content });
      }
    }
  }
  return out;
}

/**
 * A COPY --from source read from the stage, a symlink followed as BuildKit follows its
 * sources (relative to the link's directory, an absolute target from the stage's root).
 * `path` is the source as written (a file keeps its name).
 */
async function followedSource(engine: Engine, sourceRef: string, source: string): Promise<{ path: string; items: TarItem[] }> {
  const path = posix.normalize(posix.join("/", source));
  let at = path;
  for (let hops = 0; ; hops++) {
    const items = await engine.readPath(sourceRef, at, readTar);
    if (!items || items.length === 0) throw new MissingStagePath(`${source} does not exist in the source stage`);
    const top = items[0];
    if (top.type !== "symlink" || hops >= 40) return { path, items };
    const target = top.linkname ?? "";
    at = posix.normalize(posix.isAbsolute(target) ? target : posix.join(posix.dirname(at), target));
  }
}

/**
 * Writes `source` of the image `sourceRef` into `dir` for a RUN --mount=type=bind,from=:
 * a directory's contents, or a file (whose path is returned, to be bound as the file).
 */
export async function writeStagePath(engine: Engine, sourceRef: string, source: string, dir: string): Promise<string | undefined> {
  const items = await engine.readPath(sourceRef, posix.normalize(posix.join("/", source)), readTar);
  if (!items || items.length === 0) throw new MissingStagePath(`${source} does not exist in the source stage`);
  const top = items[0];
  const contents = new Map(items.map((i) => [i.name, i.content]));
  for (const item of items) {
    const rel = top.type === "directory" ? item.name.split("/").slice(1).join("/") : posix.basename(item.name);
    const path = join(dir, rel);
    if (rel === "") continue;
    await mkdir(dirname(path), { recursive: true });
    if (item.type === "directory") await mkdir(path, { recursive: true });
    else if (item.type === "symlink") await symlink(item.linkname ?? "", path);
    else if (item.type === "file" || item.type === "link") await writeFile(path, item.type === "link" ? contents.get(item.linkname ?? "") ?? Buffer.alloc(0) : item.content);
    if (item.type === "directory" || item.type === "file" || item.type === "link") await chmod(path, item.mode & 0o7777);
  }
  return top.type === "directory" ? undefined : join(dir, posix.basename(top.name));
}
