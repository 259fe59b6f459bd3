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

/** A configuration problem, located in a file. Exit code 2. */
export class ConfigError extends SlipwayError {
  override readonly name = "ConfigError";
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
    readonly field: string | undefined,
    readonly detail: string,
  ) {
    const where = [file, line, line !== undefined ? column : undefined].filter((x) => x !== undefined).join(":");
    super(`${where}: ${field ? `${field}: ` : ""}${detail}`);
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

/**
 * A registry answered with an error. `code` is the OCI error code (MANIFEST_UNKNOWN, ...) or
 * the ECR exception name when given; `repository` the repository the request was for, when known.
 */
export class RegistryError extends SlipwayError {
  override readonly name = "RegistryError";
  readonly repository?: string;
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
    options?: ErrorOptions & { repository?: string },
  ) {
    super(message, options);
    if (options?.repository !== undefined) this.repository = options.repository;
  }
}

export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError || err instanceof ConfigError ? 2 : 1;
}
