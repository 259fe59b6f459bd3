import { BuildError, ConfigError, EngineError, RegistryError, UsageError, exitCodeFor } from "../errors.ts";

/** One problem of a failed command, located when it is a config problem. */
export interface ErrorProblem {
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  field?: string;
}

/**
 * What a failed command prints on stdout with --json (documented in README):
 * `code` says which kind of failure (and so which exit code), the location is the
 * first problem's, and `problems` has one entry per problem found.
 */
export interface ErrorDocument {
  error: ErrorProblem & {
    code: "config" | "usage" | "build" | "registry" | "engine" | "internal";
    exitCode: number;
    problems: ErrorProblem[];
    /** HTTP status and OCI error code of a registry error. */
    status?: number;
    registryCode?: string;
    /** Image and stage of a build error. */
    image?: string;
    stage?: string;
  };
}

/** A commander parse error: it carries a `commander.*` code and has already printed itself. */
export function isCommanderError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && code.startsWith("commander.");
}

function codeOf(err: unknown): ErrorDocument["error"]["code"] {
  if (err instanceof ConfigError) return "config";
  if (err instanceof UsageError || isCommanderError(err)) return "usage";
  if (err instanceof BuildError) return "build";
  if (err instanceof RegistryError) return "registry";
  if (err instanceof EngineError) return "engine";
  return "internal";
}

function problemOf(p: ConfigError): ErrorProblem {
  return { message: p.message, file: p.file, line: p.line ?? null, column: p.column ?? null, ...(p.field ? { field: p.field } : {}) };
}

export function errorDocument(err: unknown): ErrorDocument {
  const message = (err instanceof Error ? err.message : String(err)).replace(/^error: /, "");
  const exitCode = isCommanderError(err) ? 2 : exitCodeFor(err);
  const problems = err instanceof ConfigError ? err.problems.map(problemOf) : [{ message, file: null, line: null, column: null }];
  const { file, line, column, field } = problems[0];
  const extra =
    err instanceof RegistryError ? { ...(err.status ? { status: err.status } : {}), ...(err.code ? { registryCode: err.code } : {}) }
    : err instanceof BuildError ? { image: err.image, stage: err.stage }
    : {};
  return { error: { code: codeOf(err), message, file, line, column, ...(field ? { field } : {}), exitCode, ...extra, problems } };
}
