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

/**
 * Files the engine puts into every container it creates (the init layer and its bind
 * mounts): reading a path goes through a container, so these are the engine's copies,
 * never the image's, and they describe the build node. They are never imported.
 */
export const ENGINE_FILES = new Set(["/.dockerenv", "/.dockerinit", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/etc/mtab", "/dev/console"]);

/** Reads `imp.add` from the source image and re-roots it at `imp.to`, filtered. */
async function importEntries(ctx: StageContext, imp: ImportConfig, sourceRef: string, owners: OwnerResolver): Promise<LayerEntry[]> {
  if (ENGINE_FILES.has(posix.normalize(imp.add))) {
    throw new BuildError(ctx.image.name, STAGE_OF[imp.stage], `${imp.add} is a file the container engine writes into every container; it cannot be imported`);
  }
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
        const engineFile = ENGINE_FILES.has(posix.join(posix.normalize(imp.add), rel));
        if (!engineFile && (rel === "" || (included(rel) && !excluded(rel)))) {
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

/** importsBeforeInstall ... importsAfterSetup: files from other images of the config, as one layer. */
export function importsStage(name: StageName, ctx: StageContext, imports: ImportConfig[]): Stage {
  const source = (imp: ImportConfig) => {
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
    needs: () => [...new Set(imports.map((imp) => source(imp).digest))],
    change: () => ({
      kind: "files",
      layer: async (owners) => {
        const all: LayerEntry[] = [];
        for (const imp of imports) all.push(...(await importEntries(ctx, imp, source(imp).ref, owners)));
        return buildLayer(all);
      },
    }),
  };
}

export function importStageName(hook: ImportStageHook): StageName {
  return STAGE_OF[hook];
}
