/**
 * The build context: every path under the context directory that .dockerignore
 * leaves in, and what a COPY/ADD selects from it with Docker's rules (a directory
 * source copies its contents, wildcards, `dest/` takes the basename). Nothing outside
 * the context directory is ever read: sources are rooted at the context, a source that
 * is a symlink is followed inside it, links inside a copied directory are copied as
 * links, and hard links stay hard links.
 */
import { createHash } from "node:crypto";
import pLimit from "p-limit";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join, posix } from "node:path";
import { ignoreRules, parseDockerignore, patternRegex, type IgnoreRules } from "./ignore.ts";

export interface ContextEntry {
  /** Relative to the context, `/`-separated. */
  path: string;
  type: "file" | "directory" | "symlink";
  /** Permission bits (with setuid/setgid/sticky). */
  mode: number;
  size: number;
  target?: string;
  /** A file with more than one link: its device and inode (`dev:ino`), so its links stay links. */
  inode?: string;
}

export interface BuildContext {
  dir: string;
  entries: Map<string, ContextEntry>;
}

/** One entry a COPY selects: where it goes relative to the destination ("" = the destination itself). */
export interface Selected extends Picked {
  /** sha256 of the content (files) or the link target (symlinks). */
  hash: string;
  /** ADD of a local archive: its entries are unpacked into the destination instead. */
  unpack?: boolean;
}

export interface Picked {
  entry: ContextEntry;
  destPath: string;
  /** Named by a source itself (or a wildcard match), not found inside a source directory: ADD may unpack it. */
  named?: boolean;
}

async function rulesFor(dir: string): Promise<IgnoreRules> {
  const text = await readFile(join(dir, ".dockerignore"), "utf8").catch(() => "");
  return ignoreRules(parseDockerignore(text));
}

export async function readContext(dir: string): Promise<BuildContext> {
  const rules = await rulesFor(dir);
  const entries = new Map<string, ContextEntry>();
  const walk = async (rel: string) => {
    const names = (await readdir(join(dir, rel))).sort();
    for (const name of names) {
      const path = rel === "" ? name : `${rel}/${name}`;
      const ignored = rules.ignores(path);
      const st = await lstat(join(dir, path));
      if (st.isDirectory()) {
        if (ignored && rules.canSkipDirectories) continue;
        if (!ignored) entries.set(path, { path, type: "directory", mode: st.mode & 0o7777, size: 0 });
        await walk(path);
        // An ignored directory still carries the files `!` patterns re-include.
        if (ignored && [...entries.keys()].some((k) => k.startsWith(`${path}/`))) entries.set(path, { path, type: "directory", mode: st.mode & 0o7777, size: 0 });
      } else if (!ignored && (st.isFile() || st.isSymbolicLink())) {
        const target = st.isSymbolicLink() ? await readlink(join(dir, path)) : undefined;
        const inode = st.isFile() && st.nlink > 1 ? { inode: `${st.dev}:${st.ino}` } : {};
        entries.set(path, { path, type: target === undefined ? "file" : "symlink", mode: st.mode & 0o7777, size: st.size, target, ...inode });
      }
    }
  };
  await walk("");
  return { dir, entries };
}

const WILDCARD = /[*?[]/;

/** A source as a context path: rooted at the context, so `../x` cannot leave it. */
function contextPath(source: string): string {
  return posix.normalize(posix.join("/", source)).replace(/^\/+/, "").replace(/\/+$/, "");
}

function under(ctx: BuildContext, dir: string): ContextEntry[] {
  const prefix = dir === "" ? "" : `${dir}/`;
  return [...ctx.entries.values()].filter((e) => e.path.startsWith(prefix) && e.path !== dir);
}

/** Thrown for a source that selects nothing; the caller names the instruction. */
export class MissingSource extends Error {}

const MAX_LINKS = 40;

/**
 * A source that is a symlink, followed inside the context as BuildKit's COPY follows
 * its sources (links found inside a copied directory stay links): an absolute target
 * is rooted at the context, as if the context were `/`.
 */
function followed(ctx: BuildContext, entry: ContextEntry, source: string): ContextEntry {
  let e = entry;
  for (let hops = 0; e.type === "symlink"; hops++) {
    const target = e.target ?? "";
    const path = contextPath(posix.isAbsolute(target) ? target : posix.join(posix.dirname(e.path), target));
    const next = path === "" ? undefined : ctx.entries.get(path);
    if (!next || hops >= MAX_LINKS) throw new MissingSource(`${source}: a symlink to ${target}, which is not in the build context (or excluded by .dockerignore)`);
    e = next;
  }
  return e;
}

/** Whether a source of these is a directory (its contents are copied into the destination, which is made even when it is empty). */
export function copiesDirectory(ctx: BuildContext, sources: string[]): boolean {
  return sources.some((source) => {
    const path = contextPath(source);
    if (path === "") return true;
    if (WILDCARD.test(path)) {
      const re = patternRegex(path);
      return [...ctx.entries.values()].some((e) => re.test(e.path) && e.type === "directory");
    }
    const entry = ctx.entries.get(path);
    try {
      return entry !== undefined && followed(ctx, entry, source).type === "directory";
    } catch {
      return false;
    }
  });
}

/** The entries `sources` select, placed under `dest` as COPY places them. */
export function select(ctx: BuildContext, sources: string[], dest: string): Picked[] {
  const destIsDir = dest.endsWith("/") || dest === "." || dest.endsWith("/.");
  const out: Picked[] = [];
  // `entry` is the source after its symlinks; a file keeps the name the source gives it.
  const place = (entry: ContextEntry | undefined, path: string, intoDir: boolean, named = path) => {
    if (path === "" || entry?.type === "directory") {
      for (const e of under(ctx, path)) out.push({ entry: e, destPath: path === "" ? e.path : e.path.slice(path.length + 1) });
    } else if (entry) out.push({ entry, destPath: intoDir ? posix.basename(named) : "", named: true });
  };
  const many = sources.length > 1 || sources.some((s) => WILDCARD.test(s));
  if (many && !destIsDir) throw new MissingSource("with more than one source file the destination must be a directory and end with a /");
  for (const source of sources) {
    const path = contextPath(source);
    if (WILDCARD.test(path)) {
      const re = patternRegex(path);
      const matches = [...ctx.entries.values()].filter((e) => re.test(e.path));
      if (matches.length === 0) throw new MissingSource(`no source files were specified: ${source} matches nothing`);
      for (const m of matches) {
        const e = followed(ctx, m, m.path);
        place(e, e.path, true, m.path);
      }
    } else {
      const entry = ctx.entries.get(path);
      if (path !== "" && !entry) throw new MissingSource(`${source}: not found in the build context (or excluded by .dockerignore)`);
      const e = entry && followed(ctx, entry, source);
      place(e, e ? e.path : path, destIsDir, path);
    }
  }
  return out;
}

/** A few files at a time: a `COPY . .` of a large context must not run out of file descriptors. */
const reads = pLimit(16);

/** Hashes what was picked; `unpack(data)`: whether a named file is an archive ADD unpacks. */
export async function hashSelected(ctx: BuildContext, picked: Picked[], unpack?: (data: Buffer) => Promise<boolean>): Promise<Selected[]> {
  return Promise.all(picked.map(({ entry, destPath, named }) => reads(async () => {
    const data = entry.type === "file" ? await readFile(join(ctx.dir, entry.path)) : Buffer.from(entry.target ?? "");
    const hash = createHash("sha256").update(data).digest("hex");
    return { entry, destPath, hash, ...(unpack && named && entry.type === "file" && (await unpack(data)) ? { unpack: true } : {}) };
  })));
}

/** The content of a selected file, read when its layer is built. */
export function readEntry(ctx: BuildContext, entry: ContextEntry): Promise<Buffer> {
  return readFile(join(ctx.dir, entry.path));
}
