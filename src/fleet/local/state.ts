import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { NodeRecord } from "../types.ts";

/** What the local provider keeps per node besides the port's record, so other processes can act on it. */
export interface LocalNodeRecord extends NodeRecord {
  /** The process that runs the node (`slipway functions serve`). */
  ownerPid: number;
  root: string;
  bootstrapPid?: number;
  /** Set by another process asking the owner to tear the node down. */
  stopRequested?: string;
}

const KEEP_TERMINATED = 200;

/**
 * The local fleet's node table: one JSON file under SLIPWAY_HOME, so `slipway fleet ls`
 * sees nodes run by another process. Writes go to a temp file renamed over the old one
 * (atomic), under a lock file so two processes never lose each other's update.
 */
export class NodeTable {
  readonly file: string;
  constructor(home: string) {
    this.file = join(home, "fleet", "nodes.json");
  }

  async read(): Promise<LocalNodeRecord[]> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, "utf8"));
      return Array.isArray(parsed) ? (parsed as LocalNodeRecord[]) : [];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
  }

  /** Applies `fn` to the table under the lock and writes the result atomically. */
  async update<T>(fn: (nodes: LocalNodeRecord[]) => T): Promise<T> {
    await mkdir(dirname(this.file), { recursive: true });
    const release = await this.lock();
    try {
      const nodes = await this.read();
      const result = fn(nodes);
      const live = nodes.filter((n) => n.state !== "terminated");
      const done = nodes.filter((n) => n.state === "terminated").slice(-KEEP_TERMINATED);
      const tmp = `${this.file}.${process.pid}.tmp`;
      const fh = await open(tmp, "w");
      await fh.writeFile(JSON.stringify([...done, ...live], null, 2));
      await fh.sync();
      await fh.close();
      await rename(tmp, this.file);
      return result;
    } finally {
      await release();
    }
  }

  private async lock(): Promise<() => Promise<void>> {
    const lockFile = `${this.file}.lock`;
    for (let i = 0; ; i++) {
      try {
        const fh = await open(lockFile, "wx");
        await fh.close();
        return () => rm(lockFile, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        // A lock older than 10 s belongs to a process that died mid-update.
        const age = await stat(lockFile).then((s) => Date.now() - s.mtimeMs, () => 0);
        if (age > 10_000) await rm(lockFile, { force: true });
        await sleep(Math.min(5 + i * 5, 50));
      }
    }
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
