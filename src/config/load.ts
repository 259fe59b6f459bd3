/**
 * The config loader: find slipway.yaml / werf.yaml / dappfile.yml, render its Go
 * templates, parse every YAML document, validate, and normalise into ProjectConfig.
 * Every problem is a ConfigError with file, line, column and field.
 */
import { access, readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../errors.ts";
import type { ImageConfig, ProjectConfig } from "./types.ts";
import { renderTemplates } from "./template.ts";
import { parseYamlDocs, type PathSegment, type SourceDoc } from "./yaml-source.ts";
import { fieldPath, validateDoc } from "./validate.ts";
import { imageDocSchema, metaDocSchema } from "./schema.ts";
import { normalizeImageDoc, type DocContext, type ImageRef } from "./normalize.ts";
import { checkGraph } from "./graph.ts";
import { refuseUnsupported } from "./refused.ts";
import { dockerfileImages } from "../dockerfile/werf.ts";

export interface LoadConfigOptions {
  dir: string;
  /** Explicit config file (`--config`), relative to the current directory or absolute. */
  configFile?: string;
  env: Record<string, string | undefined>;
  /** werf's `--env` value (`.Env` in templates). */
  werfEnv?: string;
}

/** Looked for in this order; the first one found wins. */
export const CONFIG_FILE_NAMES = ["slipway.yaml", "slipway.yml", "werf.yaml", "werf.yml", "dappfile.yml", "dappfile.yaml"];

export async function loadConfig(opts: LoadConfigOptions): Promise<ProjectConfig> {
  const dir = path.resolve(opts.dir);
  const file = opts.configFile ? path.resolve(opts.configFile) : await findConfigFile(dir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, undefined, undefined, undefined, `cannot read config file: ${(err as Error).message}`);
  }
  return parseConfig(text, file, dir, opts.env, { werfEnv: opts.werfEnv });
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

/** Parse one config text. `file` is where it came from (absolute or relative to `dir`); its templates read `dir` (.Files, .werf/ partials). */
export function parseConfig(text: string, file: string, dir: string, env: Record<string, string | undefined>, templates: { werfEnv?: string } = {}): ProjectConfig {
  const absDir = path.resolve(dir);
  const absFile = path.resolve(absDir, file);
  const shown = displayName(absFile, absDir);
  const rendered = renderTemplates(text, shown, env, { dir: absDir, werfEnv: templates.werfEnv });
  try {
    return parseRendered(rendered.text, absFile, absDir, shown);
  } catch (err) {
    throw rendered.relocate(err);
  }
}

/** The rendered config text read as YAML documents, validated and normalised. */
function parseRendered(text: string, absFile: string, absDir: string, shown: string): ProjectConfig {
  const docs = parseYamlDocs(text, shown);
  const isDappfile = /^dappfile\.ya?ml$/i.test(path.basename(absFile));
  let meta: { project: string; configVersion: number; cleanup?: unknown } | undefined;
  const images: ImageConfig[] = [];
  const refs: ImageRef[] = [];
  for (const [index, doc] of docs.entries()) {
    const value = doc.value;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new ConfigError(shown, doc.start.line, doc.start.column, undefined, "a config document must be a map");
    }
    const written = value as Record<string, unknown>;
    if ("project" in written) {
      if (meta || index > 0) {
        throw new ConfigError(shown, doc.start.line, doc.start.column, "project", "the meta document (project:) must be the first document, and only one");
      }
      meta = parseMeta(doc, shown);
      continue;
    }
    if (!("image" in written || "dimg" in written || "artifact" in written)) {
      throw new ConfigError(shown, doc.start.line, doc.start.column, undefined,
        "a document must start an image (image:), an artifact (artifact:) or be the meta document (project:)");
    }
    if ("dockerfile" in written) {
      images.push(...dockerfileImages(written, doc, shown));
      continue;
    }
    refuseUnsupported(written, doc, shown);
    const raw = validateDoc(imageDocSchema, doc, shown);
    const out = normalizeImageDoc(raw, docContext(doc, shown, written));
    images.push(...out.images);
    refs.push(...out.refs);
  }
  if (!meta && !isDappfile && /^werf\.ya?ml$/.test(path.basename(absFile))) {
    throw new ConfigError(shown, 1, 1, "project", "werf.yaml needs a first document with project: NAME and configVersion: 1");
  }
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

function parseMeta(doc: SourceDoc, shown: string): { project: string; configVersion: number; cleanup?: unknown } {
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
