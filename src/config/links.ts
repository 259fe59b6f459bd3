/**
 * An image's links to other images: `import` (from an image or artifact of the file,
 * or an external image) and werf `dependencies`, with werf's rules checked where the
 * error can point at the field.
 */
import type { DependencyConfig, ImportConfig, ImportStageHook } from "./types.ts";
import type { RawDependency, RawImport } from "./schema.ts";
import type { DocContext } from "./normalize.ts";
import { absolute } from "./normalize.ts";
import type { PathSegment } from "./yaml-source.ts";

/** werf's rule (pkg/config/raw_import.go): a source with a tag or a digest is an external image. */
export function isExternalRef(name: string): boolean {
  return name.includes("@sha256:") || /:[\w][\w.-]{0,127}$/.test(name.slice(name.lastIndexOf("/") + 1));
}

export function importConfig(imp: RawImport, i: number, ctx: DocContext): ImportConfig {
  const at = (k: string): PathSegment[] => ["import", i, k];
  const given = (["image", "from", "artifact"] as const).filter((k) => imp[k] != null);
  if (given.length > 1) ctx.fail(at(given[1]), `give one of image, from or artifact (found ${given.join(" and ")})`);
  if (given.length === 0) ctx.fail(["import", i], "one of image, from or artifact is required");
  const source = imp[given[0]] as string;
  const external = given[0] !== "artifact" && isExternalRef(source);
  if (external && imp.stage != null) ctx.fail(at("stage"), "stage: names a stage of an image of this config, not of an external image");
  if (imp.before != null && imp.after != null) ctx.fail(at("after"), "give before or after, not both");
  const add = absolute(imp.add, at("add"), ctx);
  const hook: ImportStageHook = imp.before === "install" ? "beforeInstall" : imp.before === "setup" ? "beforeSetup"
    : imp.after === "install" ? "afterInstall" : "afterSetup";
  const out: ImportConfig = {
    from: source,
    fromKind: external ? "external" : given[0] === "artifact" ? "artifact" : "image",
    add,
    to: imp.to == null ? add : absolute(imp.to, at("to"), ctx),
    includePaths: imp.includePaths ?? [],
    excludePaths: imp.excludePaths ?? [],
    stage: hook,
    location: ctx.loc(["import", i]),
  };
  if (imp.owner != null) out.owner = imp.owner;
  if (imp.group != null) out.group = imp.group;
  if (imp.stage != null) out.sourceStage = imp.stage;
  return out;
}

/** werf's rules for a stapel image's dependency (pkg/config/dependency.go), and what slipway gives commands. */
export function dependencyConfig(d: RawDependency, i: number, ctx: DocContext): DependencyConfig {
  const at = (...k: PathSegment[]): PathSegment[] => ["dependencies", i, ...k];
  if (d.image != null && d.from != null) ctx.fail(at("from"), "give image or from, not both");
  const image = d.image ?? d.from;
  if (image == null) ctx.fail(at(), "image name is not specified for dependency");
  if (d.before != null && d.after != null) ctx.fail(at("after"), "give before or after, not both");
  if (d.before == null && d.after == null) ctx.fail(at(), "dependency stage is not specified with `before: install|setup` or `after: install|setup`");
  if (d.after === "setup") {
    ctx.fail(at("after"), "no command runs after setup: slipway gives dependencies to commands only (build-time env, never the image config); use before: setup");
  }
  const stage: ImportStageHook = d.before === "install" ? "beforeInstall" : d.before === "setup" ? "beforeSetup" : "afterInstall";
  const env: DependencyConfig["env"] = [];
  (d.imports ?? []).forEach((imp, j) => {
    if (imp.targetBuildArg != null) ctx.fail(at("imports", j, "targetBuildArg"), "targetBuildArg is for Dockerfile images; a stapel image takes targetEnv");
    if (imp.targetEnv == null) ctx.fail(at("imports", j), "targetEnv is required");
    if (imp.type === "ImageID" || imp.type === "ImageDigest") {
      ctx.fail(at("imports", j, "type"), `${imp.type} is not supported; ImageName names the dependency by its immutable stage tag`);
    }
    if (env.some((e) => e.name === imp.targetEnv)) ctx.fail(at("imports", j, "targetEnv"), `targetEnv ${imp.targetEnv} is given twice`);
    env.push({ name: imp.targetEnv, type: imp.type });
  });
  return { image, stage, env, location: ctx.loc(at()) };
}

