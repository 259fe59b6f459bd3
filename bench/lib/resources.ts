/**
 * Everything the bench starts (engines, the registry, temp dirs) is registered
 * here and released in reverse order: at the end, on an error, and on Ctrl-C or
 * SIGTERM, so a failed or interrupted bench leaves nothing running or on disk.
 * A start still under way when closing begins is awaited and released too, and
 * nothing new starts once closing has begun (an interrupted chain of jobs would
 * otherwise start its next engine after the clean-up and leave it running).
 */
export class Resources {
  private readonly stack: { what: string; release: () => Promise<void> }[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private closing?: Promise<void>;

  /** Registers a release function; returns a function that releases it now (and unregisters it). */
  add(what: string, release: () => Promise<void>): () => Promise<void> {
    const entry = { what, release };
    this.stack.push(entry);
    return async () => {
      const i = this.stack.indexOf(entry);
      if (i < 0) return; // already released by close()
      this.stack.splice(i, 1);
      await release();
    };
  }

  /**
   * Starts something and registers its release, as one step that close() waits
   * for; refused once closing has begun.
   */
  async start<T>(what: string, start: () => Promise<T>, release: (value: T) => Promise<void>): Promise<{ value: T; release: () => Promise<void> }> {
    if (this.closing) throw new Error(`bench is stopping: ${what} not started`);
    const starting = start();
    this.pending.add(starting);
    try {
      const value = await starting;
      return { value, release: this.add(what, () => release(value)) };
    } finally {
      this.pending.delete(starting);
    }
  }

  /** Releases everything, newest first, after any start under way; one failure does not stop the others. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.pending]);
      while (this.stack.length > 0) {
        const { what, release } = this.stack.pop()!;
        await release().catch((err: unknown) => console.error(`bench: could not release ${what}: ${String(err)}`));
      }
    })();
    return this.closing;
  }

  /** Closes on SIGINT/SIGTERM, then exits with the conventional 128+signal code. */
  closeOnSignals(): void {
    for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
      process.once(signal, () => {
        console.error(`\nbench: ${signal}, cleaning up`);
        void this.close().finally(() => process.exit(code));
      });
    }
  }
}
