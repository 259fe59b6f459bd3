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

/**
 * A stage failed to build (a command exited non-zero, or the engine refused). Exit code 1.
 * `file`/`line`: where the stage is written, when it is (a Dockerfile instruction).
 */
export class BuildError extends SlipwayError {
  override readonly name = "BuildError";
  readonly file?: string;
  readonly line?: number;
  constructor(
    readonly image: string,
    readonly stage: string,
    message: string,
    readonly exitCode?: number,
    options?: ErrorOptions & { file?: string; line?: number },
  ) {
    const where = options?.file !== undefined ? `${[options.file, options.line].filter((x) => x !== undefined).join(":")}: ` : "";
    super(`image ${image || "(nameless)"}, stage ${stage}: ${where}${message}`, options);
    if (options?.file !== undefined) this.file = options.file;
    if (options?.line !== undefined) this.line = options.line;
  }
}

/** `Dockerfile:7` (a stage's `source`) as BuildError's location. */
export function sourceLocation(source: string | undefined): { file?: string; line?: number } {
  const m = source === undefined ? null : /^(.*):(\d+)$/.exec(source);
  return m ? { file: m[1], line: Number(m[2]) } : {};
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

/** A process slipway started (dockerd, the registry) did not become ready in time. */
export class TimeoutError extends SlipwayError {
  override readonly name = "TimeoutError";
  constructor(readonly what: string, readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

/** GitLab answered with an error, or could not be reached (code NETWORK_ERROR, no status). */
export class GitLabError extends SlipwayError {
  override readonly name = "GitLabError";
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  /** Throttling, server errors and connection failures may pass on another try; any other answer will not. */
  get retryable(): boolean {
    return this.status === 429 || (this.status !== undefined && this.status >= 500) || this.code === "NETWORK_ERROR";
  }
}

/**
 * A fleet provider failed. `code` is the provider's own (an AWS error code, CAPACITY, ...);
 * `retryable` says whether a later try may succeed (no capacity now, throttled) or never will.
 */
export class FleetError extends SlipwayError {
  override readonly name: string = "FleetError";
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Whether a failed operation is worth delivering again: the classes that know say so;
 * an error nobody classified is retried, since dropping it could lose a job.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof GitLabError || err instanceof FleetError) return err.retryable;
  return !(err instanceof UsageError || err instanceof ConfigError);
}

export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError || err instanceof ConfigError ? 2 : 1;
}
