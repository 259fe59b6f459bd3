import type { Readable } from "node:stream";
import { extract } from "tar-stream";
import type { Engine } from "../../engine/types.ts";
import type { PathAttrs, Stat } from "../layer.ts";
import { ownerResolver } from "../stages/owners.ts";
import { extractFile } from "../tar-read.ts";
import type { ExecContext } from "./types.ts";

/** Reads a file of an engine image as text (undefined when absent). */
export function fileReader(engine: Engine, ref: string) {
  return async (path: string) => (await engine.readPath(ref, path, extractFile))?.toString("utf8");
}

/** Owner names resolved from the parent's /etc/passwd and /etc/group. */
export function ownersOf(ctx: ExecContext, ref: string) {
  return ownerResolver(fileReader(ctx.engine, ref), { image: ctx.meta.image, stage: ctx.stage.name });
}

/** The first entry of an archive stream: the path itself (the engine's archive API puts it first). */
async function firstEntry(tar: Readable): Promise<PathAttrs | undefined> {
  const parser = extract();
  return new Promise<PathAttrs | undefined>((resolve, reject) => {
    parser.on("entry", (h, stream) => {
      stream.resume();
      const attrs = { mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0 };
      resolve(h.type === "directory" ? { type: "directory", ...attrs } : h.type === "symlink" ? { type: "symlink", ...attrs, target: h.linkname ?? "" } : { type: "file", ...attrs });
      parser.destroy();
    });
    parser.on("finish", () => resolve(undefined));
    parser.on("error", reject);
    tar.on("error", reject).pipe(parser);
  });
}

/** Paths of an engine image described from its archive (one container per path, not started; answers cached). */
export function statOf(engine: Engine, ref: string): Stat {
  const seen = new Map<string, Promise<PathAttrs | undefined>>();
  return (path) => {
    let hit = seen.get(path);
    if (!hit) seen.set(path, (hit = engine.readPath(ref, path, firstEntry)));
    return hit;
  };
}
