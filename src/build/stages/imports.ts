import { posix } from "node:path";
import { Readable } from "node:stream";
import { extract } from "tar-stream";
import type { ImportConfig, ImportStageHook } from "../../config/types.ts";
import { BuildError } from "../../errors.ts";
import type { NamedInput } from "../digest.ts";
import { pathMatcher } from "../git.ts";
import { buildLayer, type LayerEntry } from "../layer.ts";
import type { Stage, StageContext, StageName } from "../stage.ts";
import type { OwnerResolver } from "./owners.ts";

const STAGE_OF: Record<ImportStageHook, StageName> = {
  beforeInstall: "importsBeforeInstall",
  afterInstall: "importsAfterInstall",
  beforeSetup: "importsBeforeSetup",
  afterSetup: "importsAfterSetup",
};

/** Reads `imp.add` from the source image and re-roots it at `imp.to`, filtered. */
async function importEntries(ctx: StageContext, imp: ImportConfig, sourceRef: string, owners: OwnerResolver): Promise<LayerEntry[]> {
  const archive = await ctx.engine.readPath(sourceRef, imp.add);
  if (!archive) throw new BuildError(ctx.image.name, STAGE_OF[imp.stage], `${imp.add} does not exist in ${imp.fromKind} ${imp.from}`);
  const included = imp.includePaths.length > 0 ? pathMatcher(imp.includePaths) : () => true;
  const excluded = imp.excludePaths.length > 0 ? pathMatcher(imp.excludePaths) : () => false;
  const forced = imp.owner !== undefined || imp.group !== undefined ? await owners(imp.owner, imp.group) : undefined;
  const entries: LayerEntry[] = [];
  const contents = new Map<string, Buffer>();
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        // The archive's first component is the basename of `add`.
        if (header.type === "file") contents.set(header.name, Buffer.concat(chunks));
        const rel = header.name.replace(/\/+$/, "").split("/").slice(1).join("/");
        if (rel === "" || (included(rel) && !excluded(rel))) {
          const path = rel === "" ? imp.to : posix.join(imp.to, rel);
          const uid = forced?.uid ?? header.uid ?? 0;
          const gid = forced?.gid ?? header.gid ?? 0;
          if (header.type === "directory") entries.push({ type: "directory", path, mode: header.mode ?? 0o755, uid, gid });
          else if (header.type === "symlink") entries.push({ type: "symlink", path, uid, gid, target: header.linkname ?? "" });
          else if (header.type === "file" || header.type === "link") {
            // A hard link is stored as a copy of its target: layers built here carry no links.
            const content = header.type === "link" ? contents.get(header.linkname ?? "") ?? Buffer.alloc(0) : Buffer.concat(chunks);
            entries.push({ type: "file", path, mode: header.mode ?? 0o644, uid, gid, content });
          }
        }
        next();
      });
      stream.resume();
    });
    reader.on("finish", resolve);
    reader.on("error", reject);
  });
  Readable.from(archive).pipe(reader);
  await done;
  return entries;
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
      layer: async (owners) => {
        const all: LayerEntry[] = [];
        for (const imp of imports) {
          await ensurePulled(ctx, imp, source(imp).ref);
          all.push(...(await importEntries(ctx, imp, source(imp).ref, owners)));
        }
        return buildLayer(all);
      },
    }),
  };
}

export function importStageName(hook: ImportStageHook): StageName {
  return STAGE_OF[hook];
}
