import { ConfigError } from "../errors.ts";

/** The problems a step found, as a list (empty when it succeeded). */
export function problemsOf(step: () => unknown): readonly ConfigError[] {
  try {
    step();
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

/** The problems of one pass, in the order found; thrown as one ConfigError. */
export class Problems {
  readonly #all: ConfigError[] = [];

  add(...errors: ConfigError[]): void {
    this.#all.push(...errors.flatMap((e) => e.problems));
  }

  /** Runs `step`; a ConfigError it throws is kept and undefined returned. */
  collect<T>(step: () => T): T | undefined {
    try {
      return step();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.add(err);
      return undefined;
    }
  }

  throwIfAny(): void {
    if (this.#all.length > 0) throw ConfigError.all(this.#all);
  }
}
