/**
 * Everything the bench starts (engines, the registry, temp dirs) is registered
 * here and released in reverse order: at the end, on an error, and on Ctrl-C or
 * SIGTERM, so a failed or interrupted bench leaves nothing running or on disk.
 */
export class Resources {
  private readonly stack: { what: string; release: () => Promise<void> }[] = [];
  private closing?: Promise<void>;

  /** Registers a release function; returns a function that releases it now (and unregisters it). */
  add(what: string, release: () => Promise<void>): () => Promise<void> {
    const entry = { what, release };
    this.stack.push(entry);
    return async () => {
      const i = this.stack.indexOf(entry);
      if (i >= 0) this.stack.splice(i, 1);
      await release();
    };
  }

  /** Releases everything, newest first; one failure does not stop the others. */
  close(): Promise<void> {
    this.closing ??= (async () => {
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
