/**
 * The few error classes slipway raises. They carry data; callers classify by class,
 * status and code, never by message text. The CLI maps them to exit codes:
 * UsageError and ConfigError -> 2, everything else -> 1.
 */

export class SlipwayError extends Error {
  override readonly name: string = "SlipwayError";
}

/** Bad command-line usage. Exit code 2. */
export class UsageError extends SlipwayError {
  override readonly name = "UsageError";
}

/**
 * A configuration problem, located in a file. Exit code 2. One error can carry every
 * problem found in one pass (`problems`, in file order): it is located at the first,
 * and its message lists them all, one a line.
 */
export class ConfigError extends SlipwayError {
  override readonly name = "ConfigError";
  /** Every problem this error reports, itself first when it stands alone. */
  readonly problems: readonly ConfigError[];
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
    readonly field: string | undefined,
    readonly detail: string,
    problems?: readonly ConfigError[],
  ) {
    const where = [file, line, line !== undefined ? column : undefined].filter((x) => x !== undefined).join(":");
    super(`${where}: ${field ? `${field}: ` : ""}${detail}`);
    this.problems = problems ?? [this];
    if (problems) this.message = problems.map((p) => p.message).join("\n");
  }

  /** One error for many problems (each a ConfigError, possibly itself carrying several), sorted by place. */
  static all(errors: readonly ConfigError[]): ConfigError {
    const problems = errors.flatMap((e) => e.problems);
    problems.sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    const unique = problems.filter((p, i) => i === 0 || p.message !== problems[i - 1].message);
    if (unique.length === 1) return unique[0];
    const first = unique[0];
    return new ConfigError(first.file, first.line, first.column, first.field, first.detail, unique);
  }
}

/** A stage failed to build (a command exited non-zero, or the engine refused). Exit code 1. */
export class BuildError extends SlipwayError {
  override readonly name = "BuildError";
  constructor(
    readonly image: string,
    readonly stage: string,
    message: string,
    readonly exitCode?: number,
    options?: ErrorOptions,
  ) {
    super(`image ${image || "(nameless)"}, stage ${stage}: ${message}`, options);
  }
}

/** The Docker engine answered with an error (including errorDetail in a progress stream). */
export class EngineError extends SlipwayError {
  override readonly name = "EngineError";
  constructor(message: string, readonly statusCode?: number, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A registry answered with an error. `code` is the OCI error code (MANIFEST_UNKNOWN, ...) when given. */
export class RegistryError extends SlipwayError {
  override readonly name = "RegistryError";
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError || err instanceof ConfigError ? 2 : 1;
}
