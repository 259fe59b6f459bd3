import type { Engine } from "../../engine/types.ts";
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
