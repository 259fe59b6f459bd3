/**
 * `.Files` for config templates: files of the project directory, read as werf reads
 * them (paths relative to the project directory, Glob returning path -> content).
 * Nothing outside the project directory is readable, symlinks included.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import picomatch from "picomatch";

/** The port the template functions read files through. */
export interface ProjectFiles {
  /** Content of a regular file; throws when it does not exist. */
  get(rel: string): string;
  /** Every regular file matching the glob (doublestar syntax), keyed by its relative path. */
  glob(pattern: string): Record<string, string>;
  exists(rel: string): boolean;
  isDir(rel: string): boolean;
}

export function projectFiles(dir: string): ProjectFiles {
  const root = path.resolve(dir);
  const realRoot = () => {
    try {
      return realpathSync(root);
    } catch {
      return root;
    }
  };

  /** The real path of `rel` when it stays inside the project, else undefined. */
  const inside = (rel: string): string | undefined => {
    const abs = path.resolve(root, rel);
    let real: string;
    try {
      real = realpathSync(abs);
    } catch {
      return undefined;
    }
    const r = path.relative(realRoot(), real);
    return r.startsWith("..") || path.isAbsolute(r) ? undefined : real;
  };
  const stat = (rel: string) => {
    const real = inside(rel);
    return real ? statSync(real, { throwIfNoEntry: false }) : undefined;
  };
  const outside = (rel: string) => {
    const r = path.relative(root, path.resolve(root, rel));
    return r.startsWith("..") || path.isAbsolute(r);
  };

  return {
    get(rel) {
      if (outside(rel)) throw new Error(`{{ .Files.Get ${JSON.stringify(rel)} }}: the path is outside the project directory`);
      const real = inside(rel);
      if (!real || !statSync(real).isFile()) throw new Error(`{{ .Files.Get ${JSON.stringify(rel)} }}: the file ${JSON.stringify(rel)} not found in the project directory`);
      return readFileSync(real, "utf8");
    },
    glob(pattern) {
      const clean = pattern.replace(/^\.\//, "");
      const match = picomatch(clean, { dot: true });
      // Walk only below the pattern's literal directories (`.werf/` for the partials), not the whole project.
      const fixed = clean.split("/");
      const base = fixed.slice(0, fixed.findIndex((seg) => /[*?[\]{}!()]/.test(seg))).join("/");
      if (outside(base || ".")) return {};
      const out: Record<string, string> = {};
      for (const rel of walk(root, base)) if (match(rel) && stat(rel)?.isFile()) out[rel] = readFileSync(inside(rel)!, "utf8");
      return out;
    },
    exists: (rel) => !outside(rel) && stat(rel) !== undefined,
    isDir: (rel) => !outside(rel) && stat(rel)?.isDirectory() === true,
  };
}

/** Every file under `dir` (relative, `/`-separated, sorted), skipping `.git`; symlinks are listed, not followed. */
function walk(root: string, rel: string): string[] {
  let entries;
  try {
    entries = readdirSync(path.join(root, rel), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (child !== ".git") out.push(...walk(root, child));
    } else out.push(child);
  }
  return out;
}
