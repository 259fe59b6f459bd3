/**
 * One validated image/artifact document into ImageConfig values (one per name: werf
 * lets `image: [a, b]` share a document). Cross-field rules are checked here, where
 * the error can point at the field.
 */
import { ConfigError } from "../errors.ts";
import type { GitMapping, ImageConfig, MountConfig, ShellConfig, SourceLocation, UserStageName } from "./types.ts";
import { USER_STAGES } from "./types.ts";
import type { RawGit, RawImageDoc, RawMount } from "./schema.ts";
import { normalizeDocker, normalizeImageSpec, type Fail } from "./docker.ts";
import { dependencyConfig, importConfig } from "./links.ts";
import type { PathSegment } from "./yaml-source.ts";
import { hostPath } from "./validate.ts";
import { secretConfigs } from "./secrets.ts";
import { ansibleConfig } from "./ansible.ts";

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
    ...optional("ansible", ansibleConfig(raw, ctx)),
    docker: normalizeDocker(raw.docker, ctx.written.docker, ctx.fail),
    ...(raw.imageSpec != null ? { imageSpec: normalizeImageSpec(raw.imageSpec) } : {}),
    imports: (raw.import ?? []).map((imp, i) => importConfig(imp, i, ctx)),
    dependencies: (raw.dependencies ?? []).map((d, i) => dependencyConfig(d, i, ctx)),
    mounts: (raw.mount ?? []).map((m, i) => mountConfig(m, i, ctx)),
    network: raw.network ?? false,
    secrets: secretConfigs(raw.secrets ?? [], (p, detail) => ctx.fail(["secrets", ...p], detail), (p) => ctx.loc(["secrets", ...p])),
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

export function absolute(p: string | null | undefined, path: PathSegment[], ctx: DocContext): string {
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

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
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

function mountConfig(m: RawMount, i: number, ctx: DocContext): MountConfig {
  const to = absolute(m.to, ["mount", i, "to"], ctx);
  // A mount replaces what is at `to` for the commands: never the container's root, never above it.
  if (m.to!.split("/").includes("..")) ctx.fail(["mount", i, "to"], `must stay inside the container's root, got "${m.to}"`);
  if (to === "/") ctx.fail(["mount", i, "to"], "cannot mount over the container's root /");
  const location = ctx.loc(["mount", i]);
  if (m.from != null && m.fromPath != null) ctx.fail(["mount", i, "fromPath"], "give from or fromPath, not both");
  if (m.fromPath != null) return { to, from: "path", fromPath: hostPath(m.fromPath, (detail) => ctx.fail(["mount", i, "fromPath"], detail)), location };
  if (m.from == null) ctx.fail(["mount", i], "one of from (tmp_dir or build_dir) or fromPath is required");
  return { to, from: m.from, location };
}
