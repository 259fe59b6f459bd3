/**
 * The config loader: find slipway.yaml / werf.yaml / dappfile.yml, render its Go
 * templates, parse every YAML document, validate, and normalise into ProjectConfig.
 * Every problem is a ConfigError with file, line, column and field.
 */
import { access, readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../errors.ts";
import { USER_STAGES, type ImageConfig, type ProjectConfig } from "./types.ts";
import { renderTemplates, type RenderedConfig } from "./template.ts";
import { controlCharacterProblems, decodeConfigText, parseYamlDocs, type PathSegment, type SourceDoc } from "./yaml-source.ts";
import { controlCharacterValues, fieldPath, validateDoc } from "./validate.ts";
import { imageDocSchema, metaDocSchema } from "./schema.ts";
import { normalizeImageDoc, type DocContext, type ImageRef } from "./normalize.ts";
import { checkGraph } from "./graph.ts";
import { refuseUnsupported } from "./refused.ts";
import { Problems, problemsOf } from "./problems.ts";
import { dockerfileImages } from "../dockerfile/werf.ts";
import { CONFIG_FILE_NAMES } from "./file-names.ts";

export interface LoadConfigOptions {
  dir: string;
  /** Explicit config file (`--config`), relative to the current directory or absolute. */
  configFile?: string;
  env: Record<string, string | undefined>;
  /** werf's `--env` value (`.Env` in templates). */
  werfEnv?: string;
}

export { CONFIG_FILE_NAMES };

export async function loadConfig(opts: LoadConfigOptions): Promise<ProjectConfig> {
  const dir = path.resolve(opts.dir);
  const file = opts.configFile ? path.resolve(opts.configFile) : await findConfigFile(dir);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new ConfigError(file, undefined, undefined, undefined, `cannot read config file: ${(err as Error).message}`);
  }
  return parseConfig(decodeConfigText(bytes, displayName(file, dir)), file, dir, opts.env, { werfEnv: opts.werfEnv });
}

async function findConfigFile(dir: string): Promise<string> {
  for (const name of CONFIG_FILE_NAMES) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate);
      return candidate;
    } catch {
      // not this one
    }
  }
  throw new ConfigError(dir, undefined, undefined, undefined, `no config file found (looked for ${CONFIG_FILE_NAMES.join(", ")})`);
}

/**
 * Parse one config text. `file` is where it came from (absolute or relative to `dir`); its
 * templates read `dir` (.Files, .werf/ partials). Every problem is found in one pass:
 * documents are checked independently and the result is one ConfigError carrying them all.
 */
export function parseConfig(text: string, file: string, dir: string, env: Record<string, string | undefined>, templates: { werfEnv?: string } = {}): ProjectConfig {
  const absDir = path.resolve(dir);
  const absFile = path.resolve(absDir, file);
  const shown = displayName(absFile, absDir);
  const raw = controlCharacterProblems(text, shown);
  if (raw.length > 0) throw ConfigError.all(raw);
  const rendered = renderTemplates(text, shown, env, { dir: absDir, werfEnv: templates.werfEnv });
  try {
    return sourceLines(parseRendered(rendered.text, absFile, absDir, shown), rendered);
  } catch (err) {
    // Each problem back to the line of the file it came from (templates may move lines).
    if (err instanceof ConfigError && err.problems.length > 1) throw ConfigError.all(err.problems.map((p) => rendered.relocate(p) as ConfigError));
    throw rendered.relocate(err);
  }
}

/** Ansible tasks' lines as the user wrote them (a failed task names its line; templates may move lines). */
function sourceLines(config: ProjectConfig, rendered: RenderedConfig): ProjectConfig {
  for (const image of config.images) {
    for (const tasks of image.ansible ? USER_STAGES.map((s) => image.ansible![s]) : []) {
      for (const t of tasks) {
        const moved = rendered.relocate(new ConfigError(t.location.file, t.location.line, t.location.column, undefined, "")) as ConfigError;
        t.location = { file: moved.file, line: moved.line ?? t.location.line, ...(moved.column !== undefined ? { column: moved.column } : {}) };
      }
    }
  }
  return config;
}

/** The rendered config text read as YAML documents, validated and normalised. */
function parseRendered(text: string, absFile: string, absDir: string, shown: string): ProjectConfig {
  const docs = parseYamlDocs(text, shown);
  const isDappfile = /^dappfile\.ya?ml$/i.test(path.basename(absFile));
  const problems = new Problems();
  const { meta, images, refs } = readDocs(docs, shown, problems);
  if (!meta && !isDappfile && /^werf\.ya?ml$/.test(path.basename(absFile))) {
    problems.add(new ConfigError(shown, 1, 1, "project", "werf.yaml needs a first document with project: NAME and configVersion: 1"));
  }
  // Documents that failed define no image: what follows would only echo their problems.
  problems.throwIfAny();
  if (images.length === 0) throw new ConfigError(shown, 1, 1, undefined, "no image or artifact is defined");
  checkGraph(images, refs);
  const config: ProjectConfig = {
    project: meta?.project ?? path.basename(absDir),
    configVersion: meta?.configVersion ?? 1,
    file: absFile,
    dir: absDir,
    images,
  };
  if (meta?.cleanup !== undefined) config.cleanup = meta.cleanup;
  return config;
}

type Meta = { project: string; configVersion: number; cleanup?: unknown };

/** Every document on its own: a problem in one never hides those of the others. */
function readDocs(docs: SourceDoc[], shown: string, problems: Problems): { meta?: Meta; images: ImageConfig[]; refs: ImageRef[] } {
  let meta: Meta | undefined;
  const images: ImageConfig[] = [];
  const refs: ImageRef[] = [];
  for (const [index, doc] of docs.entries()) {
    const value = doc.value;
    const at = (field: string | undefined, detail: string) => new ConfigError(shown, doc.start.line, doc.start.column, field, detail);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      problems.add(at(undefined, "a config document must be a map"));
      continue;
    }
    problems.add(...controlCharacterValues(doc, shown));
    const written = value as Record<string, unknown>;
    if ("project" in written) {
      if (meta || index > 0) problems.add(at("project", "the meta document (project:) must be the first document, and only one"));
      else meta = problems.collect(() => parseMeta(doc, shown)) ?? { project: "", configVersion: 1 };
    } else if (!("image" in written || "dimg" in written || "artifact" in written)) {
      problems.add(at(undefined, "a document must start an image (image:), an artifact (artifact:) or be the meta document (project:)"));
    } else if ("dockerfile" in written) {
      images.push(...(problems.collect(() => dockerfileImages(written, doc, shown)) ?? []));
    } else {
      const out = imageDoc(doc, shown, written, problems);
      images.push(...(out?.images ?? []));
      refs.push(...(out?.refs ?? []));
    }
  }
  return { meta, images, refs };
}

/**
 * Refusals and schema problems together, then normalisation of a document with
 * neither. A refused key is set aside for the schema (it is also an unknown key
 * there: said once, as the refusal). Normalising is skipped after a refusal: a
 * document without its refused part (a Dockerfile image without `dockerfile:`)
 * would report what the refusal already explains.
 */
function imageDoc(doc: SourceDoc, shown: string, written: Record<string, unknown>, problems: Problems): ReturnType<typeof normalizeImageDoc> | undefined {
  const refusals = problemsOf(() => refuseUnsupported(written, doc, shown));
  const rest = refusals.length > 0 ? { ...doc, value: without(written, refusals.map((p) => p.field ?? "")) } : doc;
  let raw: ReturnType<typeof validateDoc<typeof imageDocSchema>> | undefined;
  problems.add(...refusals, ...problemsOf(() => (raw = validateDoc(imageDocSchema, rest, shown))));
  if (!raw) return undefined;
  const valid = raw;
  return refusals.length > 0 ? undefined : problems.collect(() => normalizeImageDoc(valid, docContext(doc, shown, written)));
}

/** A copy of `value` without the refused fields (`ansible`, `git[0].url`: the paths refused.ts reports). */
function without(value: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const copy = structuredClone(value);
  for (const field of fields) {
    const path = field.split(/\.|\[(\d+)\]\.?/).filter((s) => s !== undefined && s !== "");
    let parent: unknown = copy;
    for (const seg of path.slice(0, -1)) parent = (parent as Record<string, unknown> | undefined)?.[seg];
    if (parent && typeof parent === "object") delete (parent as Record<string, unknown>)[path[path.length - 1]];
  }
  return copy;
}



function parseMeta(doc: SourceDoc, shown: string): Meta {
  const raw = validateDoc(metaDocSchema, doc, shown);
  if (raw.configVersion != null && raw.configVersion !== 1) {
    const at = doc.locate(["configVersion"]);
    throw new ConfigError(shown, at.line, at.column, "configVersion", `only configVersion 1 is supported, got ${raw.configVersion}`);
  }
  if (raw.project.trim() === "") {
    const at = doc.locate(["project"]);
    throw new ConfigError(shown, at.line, at.column, "project", "must not be empty");
  }
  return { project: raw.project, configVersion: 1, ...(raw.cleanup != null ? { cleanup: raw.cleanup } : {}) };
}

function docContext(doc: SourceDoc, shown: string, written: Record<string, unknown>): DocContext {
  const loc = (p: readonly PathSegment[], key?: boolean) => ({ file: shown, ...doc.locate(p, key) });
  return {
    file: shown,
    written,
    loc,
    fail: (p, detail) => {
      const at = doc.locate(p);
      throw new ConfigError(shown, at.line, at.column, fieldPath(p) || undefined, detail);
    },
  };
}

/** Errors show the path relative to the project directory when the file is inside it. */
function displayName(absFile: string, absDir: string): string {
  const rel = path.relative(absDir, absFile);
  return rel.startsWith("..") || path.isAbsolute(rel) ? absFile : rel;
}
