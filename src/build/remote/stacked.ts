/**
 * Stacked stages: a stage that only a later command stage reads goes into the engine as a
 * directory, not as an image. Its layer (made in Node, or taken from a run) is unpacked
 * here, and the command runs with it mounted over the engine image below it (RunSpec
 * stacked, src/engine/runc.ts). A `docker load` costs 75-100 ms on a build node (dockerd
 * re-executes itself to unpack, and syncs its layer store to disk); unpacking a layer of
 * a few files takes a few milliseconds. A stage stacked on a stacked one adds its
 * directory on top of the same image.
 *
 * When a stacked stage is needed as an image after all (dockerd must start or commit the
 * run, an import reads it, a stage made on it is loaded), it is loaded then, once
 * (`materialize`). What cannot be stacked exactly is loaded at once: a layer with
 * whiteouts (overlay marks them otherwise), a stage whose VOLUMEs differ from the image
 * below (dockerd mounts those), a stage on another image's (fromImage).
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { isDeepStrictEqual } from "node:util";
import type { ImageConfigDocument } from "../../engine/types.ts";
import type { Layer } from "../layer.ts";
import { stageRef } from "../names.ts";
import type { ImagePlan } from "../plan.ts";
import { loadMade, pulledBase } from "./early.ts";
import { ensureLocal, firstToWait, type Walk } from "./walk.ts";

export interface Stacked {
  /** The engine image under the stacked layers. */
  baseRef: string;
  /** The layers' directories, top first (none: a stage that only changed the config). */
  dirs: string[];
  /** The stage's config document. */
  doc: ImageConfigDocument;
  /** Loads the stage as an image, once; the first call resolves to the bytes pulled for it. */
  materialize(): Promise<number>;
  materialized: boolean;
}

/** Whether the engine runs commands on stacked layers (asked once per build). */
function stacksLayers(walk: Walk): Promise<boolean> {
  walk.stacks ??= walk.opts.engine.stacksLayers?.().catch(() => false) ?? Promise.resolve(false);
  return walk.stacks;
}

/**
 * Unpacks a layer into a new directory in overlay's format, as root keeps owners, modes,
 * times and extended attributes; undefined (nothing left behind) when it holds a whiteout,
 * which overlay would need as a device or an attribute.
 */
export async function unpackLayer(open: () => Readable): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), "slipway-stacked-"));
  const ok = await new Promise<boolean>((resolve) => {
    const tar = spawn("tar", ["-x", "-v", "--numeric-owner", "--same-owner", "-p", "--xattrs", "--xattrs-include=*", "-C", dir, "-f", "-"], { stdio: ["pipe", "pipe", "ignore"] });
    let whiteout = false;
    let rest = "";
    tar.stdout.on("data", (c: Buffer) => {
      const lines = (rest + c.toString("utf8")).split("\n");
      rest = lines.pop() ?? "";
      if (lines.some((l) => /(^|\/)\.wh\./.test(l))) whiteout = true;
    });
    tar.stdin.on("error", () => undefined);
    tar.on("error", () => resolve(false));
    tar.on("close", (code) => resolve(code === 0 && !whiteout && !/(^|\/)\.wh\./.test(rest)));
    const source = open();
    source.on("error", () => tar.stdin.destroy());
    source.pipe(tar.stdin);
  });
  if (ok) return dir;
  await rm(dir, { recursive: true, force: true });
  return undefined;
}

/**
 * The stage's parent for a command stage that runs on it: stacked (then its base image is
 * in the engine), or an image in the engine. Bytes pulled to get it there, counted once.
 */
export async function parentOnEngine(walk: Walk, digest: string, ref: string): Promise<{ bytes: number; stacked?: Stacked }> {
  const arriving = walk.arriving.get(digest);
  if (arriving) await arriving.catch(() => undefined);
  const stacked = walk.stacked.get(digest);
  if (stacked && !stacked.materialized) return { bytes: arriving ? await firstToWait(walk.arriving, digest, arriving) : 0, stacked };
  return { bytes: await ensureLocal(walk, digest, ref) };
}

/**
 * Puts stage i, made as `doc` (plus `layer`, its new layer if any), where a later command
 * stage finds it: stacked when it can be (above), else loaded into the engine (loadMade).
 * Resolves to the bytes pulled to get what is below it there.
 */
export async function stackOrLoad(walk: Walk, image: ImagePlan, i: number, doc: ImageConfigDocument, layer: Layer | undefined): Promise<number> {
  const load = () => loadMade(walk, image, i, doc, layer);
  if (!(await stacksLayers(walk))) return load();
  const stage = image.stages[i];
  let bytes = 0;
  let baseRef: string;
  let below: string[] = [];
  const base = pulledBase(image, i);
  if (base) {
    const pulling = walk.bases.get(base);
    bytes = pulling ? await firstToWait(walk.bases, base, pulling) : (await walk.opts.engine.inspectImage(base)) ? 0 : (await walk.opts.engine.pull(base)).bytes;
    baseRef = base;
  } else if (stage.parent) {
    const ref = image.stages.find((s) => s.digest === stage.parent)?.ref ?? stageRef(walk.plan.config.project, stage.parent);
    const on = await parentOnEngine(walk, stage.parent, ref);
    bytes = on.bytes;
    baseRef = on.stacked?.baseRef ?? ref;
    below = on.stacked?.dirs ?? [];
  } else return load();
  // A container of the image below shows its VOLUMEs, not the stage's: those must match.
  const under = await walk.opts.engine.inspectImage(baseRef);
  if (!under || !isDeepStrictEqual(under.config.config.Volumes ?? {}, doc.config.Volumes ?? {})) return bytes + (await load());
  let dirs = below;
  if (layer) {
    const dir = await unpackLayer(() => layer.open());
    if (!dir) return bytes + (await load());
    dirs = [dir, ...below];
    walk.cleanups.push(() => rm(dir, { recursive: true, force: true }));
  }
  let made: Promise<number> | undefined;
  const stacked: Stacked = {
    baseRef, dirs, doc, materialized: false,
    materialize() {
      if (made) return made.then(() => 0);
      made = loadMade(walk, image, i, doc, layer);
      return made.then((b) => ((stacked.materialized = true), b));
    },
  };
  // A layer never loaded is disposed of with the build (loadMade disposes of one it loads).
  walk.cleanups.push(async () => void (made ? await made.catch(() => 0) : await layer?.dispose()));
  walk.stacked.set(stage.digest, stacked);
  return bytes;
}
