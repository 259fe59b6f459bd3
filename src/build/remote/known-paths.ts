/**
 * Paths known to exist in a stage's filesystem without looking at it: those of the file
 * layers this build made in Node, down the chain of stages it made in the registry.
 * A file stage that asks whether a path exists (WORKDIR creates only missing
 * directories) is answered here when the answer is "yes"; anything else still needs an
 * engine holding the parent. A command stage, a base or a stage found in the registry
 * starts from nothing known: its files were not made here.
 */
import { posix } from "node:path";
import { extract } from "tar-stream";
import type { Layer } from "../layer.ts";

/** A tar entry's name as an absolute, normalised path (`./app/` → `/app`). */
function absolute(name: string): string {
  const p = posix.normalize(`/${name}`);
  return p.length > 1 ? p.replace(/\/+$/, "") : p;
}

/** Every path a layer creates, with their parents; whiteouts (`.wh.`) as deleted paths. */
export async function layerPaths(layer: Layer): Promise<{ made: Set<string>; deleted: Set<string> }> {
  const made = new Set<string>();
  const deleted = new Set<string>();
  const parser = extract();
  const done = new Promise<void>((resolve, reject) => {
    parser.on("entry", (header, stream, next) => {
      const path = absolute(header.name);
      const base = posix.basename(path);
      if (base.startsWith(".wh.")) deleted.add(posix.join(posix.dirname(path), base.slice(4)));
      else for (let p = path; p !== "/"; p = posix.dirname(p)) made.add(p);
      stream.on("end", next);
      stream.resume();
    });
    parser.on("finish", resolve);
    parser.on("error", reject);
  });
  layer.open().on("error", (err) => parser.destroy(err)).pipe(parser);
  await done;
  return { made, deleted };
}

export class KnownPaths {
  readonly #byStage = new Map<string, Set<string>>();

  /** A config stage: its files are its parent's. */
  same(digest: string, parent: string | undefined): void {
    const below = parent ? this.#byStage.get(parent) : undefined;
    if (below) this.#byStage.set(digest, below);
  }

  /** A file stage made here from `layer` on top of `parent`. */
  async add(digest: string, parent: string | undefined, layer: Layer): Promise<void> {
    const { made, deleted } = await layerPaths(layer);
    const below = [...((parent && this.#byStage.get(parent)) || [])].filter((p) => ![...deleted].some((d) => p === d || p.startsWith(`${d}/`)));
    this.#byStage.set(digest, new Set([...below, ...made]));
  }

  /** Whether `path` is known to exist in the stage (false: not known, it may still exist). */
  has(digest: string | undefined, path: string): boolean {
    if (!digest) return false;
    const p = absolute(path);
    return p === "/" || (this.#byStage.get(digest)?.has(p) ?? false);
  }
}
