import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { extract } from "tar-stream";
import type { ImportConfig, ImportStageHook } from "../../config/types.ts";
import { BuildError } from "../../errors.ts";
import type { NamedInput } from "../digest.ts";
import { pathMatcher } from "../git.ts";
import { buildLayer, type FileSource, type LayerEntry } from "../layer.ts";
import type { Stage, StageContext, StageName } from "../stage.ts";
import type { OwnerResolver } from "./owners.ts";

const STAGE_OF: Record<ImportStageHook, StageName> = {
  beforeInstall: "importsBeforeInstall",
  afterInstall: "importsAfterInstall",
  beforeSetup: "importsBeforeSetup",
  afterSetup: "importsAfterSetup",
};

/**
 * Files the engine puts into every container it creates (the init layer and its bind
 * mounts): reading a path goes through a container, so these are the engine's copies,
 * never the image's, and they describe the build node. They are never imported.
 */
export const ENGINE_FILES = new Set(["/.dockerenv", "/.dockerinit", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/etc/mtab", "/dev/console"]);

/** Reads `imp.add` from the source image and re-roots it at `imp.to`, filtered; file contents are spooled to `spool`. */
async function importEntries(ctx: StageContext, imp: ImportConfig, sourceRef: string, owners: OwnerResolver, spool: Spool): Promise<LayerEntry[]> {
  if (ENGINE_FILES.has(posix.normalize(imp.add))) {
    throw new BuildError(ctx.image.name, STAGE_OF[imp.stage], `${imp.add} is a file the container engine writes into every container; it cannot be imported`);
  }
  const included = imp.includePaths.length > 0 ? pathMatcher(imp.includePaths) : () => true;
  const excluded = imp.excludePaths.length > 0 ? pathMatcher(imp.excludePaths) : () => false;
  const forced = imp.owner !== undefined || imp.group !== undefined ? await owners(imp.owner, imp.group) : undefined;
  const entries: LayerEntry[] = [];
  const spooled = new Map<string, FileSource>();
  const read = async (archive: Readable): Promise<void> => {
    const extractor = extract();
    archive.on("error", (err) => extractor.destroy(err));
    for await (const entry of archive.pipe(extractor)) {
      const header = entry.header;
      // The archive's first component is the basename of `add`.
      const rel = header.name.replace(/\/+$/, "").split("/").slice(1).join("/");
      const wanted = !ENGINE_FILES.has(posix.join(posix.normalize(imp.add), rel)) && (rel === "" || (included(rel) && !excluded(rel)));
      // Every file is spooled (a later hard link may name it); only wanted ones enter the layer.
      if (header.type === "file") spooled.set(header.name, await spool(entry, header.size ?? 0));
      else entry.resume();
      if (!wanted) continue;
      const path = rel === "" ? imp.to : posix.join(imp.to, rel);
      const uid = forced?.uid ?? header.uid ?? 0;
      const gid = forced?.gid ?? header.gid ?? 0;
      if (header.type === "directory") entries.push({ type: "directory", path, mode: header.mode ?? 0o755, uid, gid });
      else if (header.type === "symlink") entries.push({ type: "symlink", path, uid, gid, target: header.linkname ?? "" });
      else if (header.type === "file" || header.type === "link") {
        // A hard link is stored as a copy of its target: layers built here carry no links.
        const content = spooled.get(header.type === "link" ? header.linkname ?? "" : header.name) ?? Buffer.alloc(0);
        entries.push({ type: "file", path, mode: header.mode ?? 0o644, uid, gid, content });
      }
    }
  };
  const found = await ctx.engine.readPath(sourceRef, imp.add, async (archive) => (await read(archive), true));
  if (!found) throw new BuildError(ctx.image.name, STAGE_OF[imp.stage], `${imp.add} does not exist in ${imp.fromKind} ${imp.from}`);
  return entries;
}

/** Writes one file's bytes to disk and gives them back as a FileSource: imports never hold a file in memory. */
type Spool = (content: AsyncIterable<unknown>, size: number) => Promise<FileSource>;

async function withSpool<T>(use: (spool: Spool) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "slipway-import-"));
  let n = 0;
  try {
    return await use(async (content, size) => {
      const file = join(dir, String(n++));
      await pipeline(content, createWriteStream(file));
      return { size, open: () => createReadStream(file) };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * An external import's source pinned by its registry digest (resolved with the `from`
 * bases): the digest enters the stage digest, the pinned reference is what is read.
 */
function externalSource(ctx: StageContext, name: StageName, imp: ImportConfig): { digest: string; ref: string } {
  const digest = ctx.baseDigest(imp.from);
  if (!digest) throw new BuildError(ctx.image.name, name, `external image ${imp.from} is not resolved`);
  const repo = imp.from.includes("@") ? imp.from.slice(0, imp.from.indexOf("@")) : imp.from.replace(/:[^:/]+$/, "");
  return { digest, ref: `${repo}@${digest}` };
}

/** The engine reads files from an image it has: an external source is pulled first. */
async function ensurePulled(ctx: StageContext, imp: ImportConfig, ref: string): Promise<void> {
  if (imp.fromKind === "external" && !(await ctx.engine.inspectImage(ref))) await ctx.engine.pull(ref);
}

/** importsBeforeInstall ... importsAfterSetup: files from other images of the config or external images, as one layer. */
export function importsStage(name: StageName, ctx: StageContext, imports: ImportConfig[]): Stage {
  const source = (imp: ImportConfig) => {
    if (imp.fromKind === "external") return externalSource(ctx, name, imp);
    const result = ctx.imageResult(imp.from, imp.sourceStage);
    if (!result) throw new BuildError(ctx.image.name, name, `${imp.fromKind} ${imp.from} has not been planned`);
    return result;
  };
  const inputs = (): NamedInput[] =>
    imports.map((imp, i) => [
      `import${i}`,
      JSON.stringify([source(imp).digest, imp.add, imp.to, imp.includePaths, imp.excludePaths, imp.owner ?? "", imp.group ?? ""]),
    ]);
  return {
    name,
    kind: "imports",
    isEmpty: () => imports.length === 0,
    inputs,
    // Stages of this config only: an external image is not a stage (cleanup follows `needs`).
    needs: () => [...new Set(imports.filter((imp) => imp.fromKind !== "external").map((imp) => source(imp).digest))],
    change: () => ({
      kind: "files",
      layer: (owners) =>
        withSpool(async (spool) => {
          const all: LayerEntry[] = [];
          for (const imp of imports) {
            await ensurePulled(ctx, imp, source(imp).ref);
            all.push(...(await importEntries(ctx, imp, source(imp).ref, owners, spool)));
          }
          return buildLayer(all);
        }),
    }),
  };
}

export function importStageName(hook: ImportStageHook): StageName {
  return STAGE_OF[hook];
}
