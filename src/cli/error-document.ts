import { BuildError, ConfigError, EngineError, RegistryError, UsageError, exitCodeFor } from "../errors.ts";

/** One problem of a failed command, located when it is a config problem. */
export interface ErrorProblem {
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  field?: string;
}

/** Which kind of failure, and so which exit code: config and usage 2, the rest 1. */
export type ErrorKind = "config" | "usage" | "build" | "registry" | "engine" | "internal";

/**
 * What a failed command prints on stdout with --json (documented in README):
 * `code` is the error's own code when the service gave one (the registry's
 * `MANIFEST_UNKNOWN` or `DENIED`, an AWS exception name), else its `kind`; the
 * location is the first problem's, and `problems` has one entry per problem found.
 */
export interface ErrorDocument {
  error: ErrorProblem & {
    code: string;
    kind: ErrorKind;
    /** The error class (ConfigError, RegistryError, ...). */
    name: string;
    exitCode: number;
    problems: ErrorProblem[];
    /** HTTP status, when the error came from an HTTP answer. */
    status?: number;
    /** The registry repository a registry error was about, when known. */
    repository?: string;
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

function kindOf(err: unknown): ErrorKind {
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
  const at = err instanceof BuildError ? { file: err.file ?? null, line: err.line ?? null } : { file: null, line: null };
  const problems = err instanceof ConfigError ? err.problems.map(problemOf) : [{ message, ...at, column: null }];
  const { file, line, column, field } = problems[0];
  const kind = kindOf(err);
  // Data the error classes carry (see src/errors.ts), read by property: registry, GitLab and fleet errors share these names.
  const data = (err ?? {}) as { name?: unknown; code?: unknown; status?: unknown; statusCode?: unknown; repository?: unknown };
  const own = !isCommanderError(err) && typeof data.code === "string" ? data.code : undefined;
  const status = typeof data.status === "number" ? data.status : typeof data.statusCode === "number" ? data.statusCode : undefined;
  return {
    error: {
      code: own ?? kind,
      kind,
      name: err instanceof Error ? err.name : "Error",
      message,
      file,
      line,
      column,
      ...(field ? { field } : {}),
      exitCode,
      ...(status !== undefined ? { status } : {}),
      ...(typeof data.repository === "string" ? { repository: data.repository } : {}),
      ...(err instanceof BuildError ? { image: err.image, stage: err.stage } : {}),
      problems,
    },
  };
}
