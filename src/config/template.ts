/**
 * Config files are Go templates, rendered as werf renders them before the YAML is read:
 * the whole text/template language, Sprig, werf's functions and data, and the
 * `.werf/**\/*.tmpl` partials of the project directory. The engine lives in
 * ./template/ (lexer, parser, executor); this is where the config loader calls it.
 */
import { headCommit } from "./template/commit.ts";
import { projectFiles, type ProjectFiles } from "./template/files.ts";
import { renderConfig } from "./template/index.ts";

export interface TemplateOptions {
  /** The project directory: `.Files`, `.werf/` partials and `.Commit` come from it. */
  dir?: string;
  /** werf's `--env` value, seen as `.Env`; as in werf, WERF_ENV when not given. */
  werfEnv?: string;
}

/** Without a project directory there are no files to read; say so when a template asks. */
const NO_FILES: ProjectFiles = {
  get: () => { throw new Error(".Files is not available: no project directory"); },
  glob: () => ({}),
  exists: () => false,
  isDir: () => false,
};

/** Renders `text` (shown in errors as `file`); every problem is a ConfigError at file:line:column. */
export function expandTemplates(text: string, file: string, env: Record<string, string | undefined>, opts: TemplateOptions = {}): string {
  const { dir } = opts;
  return renderConfig(text, file, {
    env,
    werfEnv: opts.werfEnv ?? env.WERF_ENV ?? "",
    files: dir ? projectFiles(dir) : NO_FILES,
    commit: () => {
      if (!dir) throw new Error(".Commit is not available: no project directory");
      return headCommit(dir);
    },
  });
}
