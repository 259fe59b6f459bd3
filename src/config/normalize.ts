/**
 * One validated image/artifact document into ImageConfig values (one per name: werf
 * lets `image: [a, b]` share a document). Cross-field rules are checked here, where
 * the error can point at the field.
 */
import { ConfigError } from "../errors.ts";
import type { DependencyConfig, GitMapping, ImageConfig, ImportConfig, ImportStageHook, MountConfig, ShellConfig, SourceLocation, UserStageName } from "./types.ts";
import { USER_STAGES } from "./types.ts";
import type { RawDependency, RawGit, RawImageDoc, RawImport, RawMount } from "./schema.ts";
import { normalizeDocker, normalizeImageSpec, type Fail } from "./docker.ts";
import type { PathSegment } from "./yaml-source.ts";

/** A reference from one image to another, kept with its position for graph checks. */
export interface ImageRef {
  from: string;
  to: string;
  field: string;
  path: PathSegment[];
  location: SourceLocation;
  /** Which key named it: fromImage/import image => "image", fromArtifact/import artifact => "artifact". */
  kind: "image" | "artifact";
}

export interface DocContext {
  file: string;
  written: Record<string, unknown>;
  fail: Fail;
  loc(path: readonly PathSegment[], key?: boolean): SourceLocation;
}

export function normalizeImageDoc(raw: RawImageDoc, ctx: DocContext): { images: ImageConfig[]; refs: ImageRef[] } {
  const isArtifact = "artifact" in ctx.written;
  const nameKey = isArtifact ? "artifact" : "image" in ctx.written ? "image" : "dimg";
  if (isArtifact && ("image" in ctx.written || "dimg" in ctx.written)) {
    ctx.fail(["artifact"], "a document is either an image or an artifact, not both");
  }
  if ("image" in ctx.written && "dimg" in ctx.written) ctx.fail(["dimg"], "use image: or dimg:, not both");
  const rawName = isArtifact ? raw.artifact : (raw.image ?? raw.dimg);
  const names = rawName == null ? [""] : Array.isArray(rawName) ? rawName : [rawName];
  if (names.length === 0) ctx.fail([nameKey], "an empty list of image names");
  if (isArtifact && names[0] === "") ctx.fail([nameKey], "an artifact needs a name");
  if (isArtifact && raw.docker) ctx.fail(["docker"], "docker instructions are not allowed in an artifact (its files are only imported)");

  const base = baseOf(raw, ctx, nameKey);
  const shared = {
    // An image with `final: false` is what werf 1.2 made of artifacts: built for others to use, never published.
    kind: (isArtifact || raw.final === false ? "artifact" : "image") as ImageConfig["kind"],
    ...base.fields,
    git: (raw.git ?? []).map((g, i) => gitMapping(g, i, ctx)),
    shell: shellConfig(raw),
    docker: normalizeDocker(raw.docker, ctx.written.docker, ctx.fail),
    ...(raw.imageSpec != null ? { imageSpec: normalizeImageSpec(raw.imageSpec) } : {}),
    imports: (raw.import ?? []).map((imp, i) => importConfig(imp, i, ctx)),
    dependencies: (raw.dependencies ?? []).map((d, i) => dependencyConfig(d, i, ctx)),
    mounts: (raw.mount ?? []).map((m, i) => mountConfig(m, i, ctx)),
    network: raw.network ?? false,
    gitVisibility: raw.gitVisibility ?? defaultVisibility(ctx.file),
    location: ctx.loc([nameKey], true),
  };
  const images = names.map((name) => structuredClone({ name, ...shared }));
  const refs: ImageRef[] = [];
  for (const name of names) {
    if (base.ref) refs.push({ ...base.ref, from: name });
    shared.imports.forEach((imp, i) => {
      if (imp.fromKind === "external") return;
      const key = imp.fromKind;
      const written = "from" in (ctx.written.import as Record<string, unknown>[])[i] ? "from" : key;
      const path = ["import", i, written];
      refs.push({ from: name, to: imp.from, field: `import[${i}].${written}`, path, location: ctx.loc(path), kind: key });
    });
    shared.dependencies.forEach((dep, i) => {
      const written = "from" in (ctx.written.dependencies as Record<string, unknown>[])[i] ? "from" : "image";
      const path = ["dependencies", i, written];
      refs.push({ from: name, to: dep.image, field: `dependencies[${i}].${written}`, path, location: ctx.loc(path), kind: "image" });
    });
  }
  return { images, refs };
}

/**
 * werf.yaml and dappfile.yml (and any other file name) show user stages what werf shows;
 * slipway.yaml keeps the strict view, where every layer holds exactly what its digest covers.
 */
function defaultVisibility(file: string): ImageConfig["gitVisibility"] {
  return /(^|[\\/])slipway\.ya?ml$/i.test(file) ? "strict" : "werf";
}

function baseOf(raw: RawImageDoc, ctx: DocContext, nameKey: string) {
  if (raw.fromImage != null && raw.fromDimg != null) ctx.fail(["fromDimg"], "use fromImage or fromDimg, not both");
  const given = (["from", "fromImage", "fromDimg", "fromArtifact"] as const).filter((k) => raw[k] != null);
  if (given.length === 0) {
    const at = ctx.loc([nameKey], true);
    throw new ConfigError(at.file, at.line, at.column, "from", "one of from, fromImage or fromArtifact is required");
  }
  if (given.length > 1) ctx.fail([given[1]], `only one of from, fromImage, fromArtifact may be given (found ${given.join(" and ")})`);
  const key = given[0];
  const fields: Pick<ImageConfig, "from" | "fromImage" | "fromArtifact" | "fromCacheVersion"> = {};
  if (raw.fromCacheVersion != null) fields.fromCacheVersion = raw.fromCacheVersion;
  if (key === "from") {
    fields.from = raw.from!;
    return { fields, ref: undefined };
  }
  const target = raw[key]!;
  const kind = key === "fromArtifact" ? "artifact" : "image";
  if (kind === "artifact") fields.fromArtifact = target;
  else fields.fromImage = target;
  const ref: Omit<ImageRef, "from"> = { to: target, field: key, path: [key], location: ctx.loc([key]), kind };
  return { fields, ref };
}

/** Repository paths: leading "/", no trailing "/" ("/" stays "/"). */
export function repoPath(p: string): string {
  const s = `/${p}`.replace(/\/+/g, "/").replace(/\/$/, "");
  return s === "" ? "/" : s;
}

function absolute(p: string | null | undefined, path: PathSegment[], ctx: DocContext): string {
  if (p == null || p === "") ctx.fail(path, "required");
  if (!p.startsWith("/")) ctx.fail(path, `must be an absolute path, got "${p}"`);
  return repoPath(p);
}

function gitMapping(g: RawGit, i: number, ctx: DocContext): GitMapping {
  const stageDependencies: GitMapping["stageDependencies"] = {};
  for (const stage of USER_STAGES) {
    const globs = g.stageDependencies?.[stage];
    if (globs) stageDependencies[stage] = globs;
  }
  const m: GitMapping = {
    add: repoPath(g.add ?? "/"),
    to: absolute(g.to, ["git", i, "to"], ctx),
    includePaths: g.includePaths ?? [],
    excludePaths: g.excludePaths ?? [],
    stageDependencies,
    location: ctx.loc(["git", i]),
  };
  if (g.owner != null) m.owner = g.owner;
  if (g.group != null) m.group = g.group;
  for (const key of ["branch", "tag", "commit"] as const) {
    if (g[key] == null) continue;
    if (g.url == null) ctx.fail(["git", i, key], `${key} is only for a remote repository (url:); the local one is used as it is checked out`);
    m[key] = g[key];
  }
  if (g.url != null) m.url = g.url;
  return m;
}

function shellConfig(raw: RawImageDoc): ShellConfig {
  const s = raw.shell ?? {};
  const stageCacheVersions: Partial<Record<UserStageName, string>> = {};
  for (const stage of USER_STAGES) {
    const v = s[`${stage}CacheVersion`];
    if (v != null) stageCacheVersions[stage] = v;
  }
  const shell: ShellConfig = {
    beforeInstall: s.beforeInstall ?? [],
    install: s.install ?? [],
    beforeSetup: s.beforeSetup ?? [],
    setup: s.setup ?? [],
    stageCacheVersions,
  };
  if (s.cacheVersion != null) shell.cacheVersion = s.cacheVersion;
  return shell;
}

/** werf's rule (pkg/config/raw_import.go): a source with a tag or a digest is an external image. */
export function isExternalRef(name: string): boolean {
  return name.includes("@sha256:") || /:[\w][\w.-]{0,127}$/.test(name.slice(name.lastIndexOf("/") + 1));
}

function importConfig(imp: RawImport, i: number, ctx: DocContext): ImportConfig {
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
function dependencyConfig(d: RawDependency, i: number, ctx: DocContext): DependencyConfig {
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

function mountConfig(m: RawMount, i: number, ctx: DocContext): MountConfig {
  const to = absolute(m.to, ["mount", i, "to"], ctx);
  const location = ctx.loc(["mount", i]);
  if (m.from != null && m.fromPath != null) ctx.fail(["mount", i, "fromPath"], "give from or fromPath, not both");
  if (m.fromPath != null) return { to, from: "path", fromPath: m.fromPath, location };
  if (m.from == null) ctx.fail(["mount", i], "one of from (tmp_dir or build_dir) or fromPath is required");
  return { to, from: m.from, location };
}
