/**
 * Config files are Go templates, rendered as werf renders them before the YAML is read:
 * the whole text/template language, Sprig, werf's functions and data, and the
 * `.werf/**\/*.tmpl` partials of the project directory. The engine lives in
 * ./template/ (lexer, parser, executor); this is where the config loader calls it.
 */
import { ConfigError } from "../errors.ts";
import { headCommit } from "./template/commit.ts";
import { projectFiles, type ProjectFiles } from "./template/files.ts";
import { renderConfig } from "./template/index.ts";

export interface TemplateOptions {
  /** The project directory: `.Files`, `.werf/` partials and `.Commit` come from it. */
  dir?: string;
  /** werf's `--env` value, seen as `.Env`; as in werf, WERF_ENV when not given. */
  werfEnv?: string;
}

export interface RenderedConfig {
  text: string;
  /**
   * An error found in the rendered text (YAML, validation), moved to the file and line
   * the user wrote when rendering moved that line (a range, an include, a partial).
   */
  relocate(err: unknown): unknown;
}

/** Without a project directory there are no files to read; say so when a template asks. */
const NO_FILES: ProjectFiles = {
  get: () => { throw new Error(".Files is not available: no project directory"); },
  glob: () => ({}),
  exists: () => false,
  isDir: () => false,
};

/** Renders `text` (shown in errors as `file`); every template problem is a ConfigError at file:line:column. */
export function renderTemplates(text: string, file: string, env: Record<string, string | undefined>, opts: TemplateOptions = {}): RenderedConfig {
  const { dir } = opts;
  const rendered = renderConfig(text, file, {
    env,
    werfEnv: opts.werfEnv ?? env.WERF_ENV ?? "",
    files: dir ? projectFiles(dir) : NO_FILES,
    commit: () => {
      if (!dir) throw new Error(".Commit is not available: no project directory");
      return headCommit(dir);
    },
  });
  const sourceLines = text.split("\n");
  const renderedLines = rendered.text.split("\n");
  const move = (e: ConfigError): ConfigError => {
    if (e.file !== file || e.line === undefined) return e;
    const origin = rendered.origin(e.line);
    if (!origin || (origin.file === file && origin.line === e.line)) return e;
    // The column still fits when the line came through unchanged.
    const same = origin.file === file && sourceLines[origin.line - 1] === renderedLines[e.line - 1];
    return new ConfigError(origin.file, origin.line, same ? e.column : undefined, e.field, e.detail);
  };
  return {
    text: rendered.text,
    relocate: (err) => {
      if (err instanceof ConfigError) return move(err);
      if (err instanceof AggregateError) return new AggregateError(err.errors.map((e) => (e instanceof ConfigError ? move(e) : e)), err.message);
      return err;
    },
  };
}

/** The rendered text alone (for readers that only need the values, such as the cleanup policy). */
export function expandTemplates(text: string, file: string, env: Record<string, string | undefined>, opts: TemplateOptions = {}): string {
  return renderTemplates(text, file, env, opts).text;
}
