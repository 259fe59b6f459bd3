import { join, resolve } from "node:path";
import type { Fleet, InterruptionNote, LaunchSpec, NodeRecord } from "../types.ts";
import type { BootstrapOptions } from "./bootstrap.ts";
import { runNode } from "./node.ts";
import { markTerminated, ownerGone, reapOrphan, requestStop } from "./remote.ts";
import { NodeTable, processAlive, type LocalNodeRecord } from "./state.ts";

export interface LocalFleetOptions {
  /** SLIPWAY_HOME: node data roots and the node table live here. */
  home: string;
  bootstrap: BootstrapOptions;
  storageDriver?: "overlay2" | "vfs";
  now?: () => Date;
  log?: (nodeId: string, line: string) => void;
}

export interface LocalFleet extends Fleet, AsyncDisposable {
  /** Resolves when every node this process runs has ended. */
  idle(): Promise<void>;
}

function publicRecord(n: LocalNodeRecord): NodeRecord {
  const { ownerPid: _o, root: _r, bootstrapPid: _b, stopRequested: _s, ...rec } = n;
  return rec;
}

/** The nodes this process runs: one abort controller and completion per node. */
class Runs {
  private readonly runs = new Map<string, { ctl: AbortController; done: Promise<void> }>();
  private watcher: ReturnType<typeof setInterval> | undefined;
  constructor(private readonly table: NodeTable) {}

  get(id: string) {
    return this.runs.get(id);
  }
  add(id: string, ctl: AbortController, done: Promise<void>): void {
    this.runs.set(id, { ctl, done });
    // Other processes (`functions run reaper`) ask for a stop through the table.
    this.watcher ??= setInterval(() => {
      void this.table.read().then((nodes) => {
        for (const n of nodes) if (n.stopRequested) this.runs.get(n.id)?.ctl.abort(n.stopRequested);
      }, () => undefined);
    }, 500);
  }
  remove(id: string): void {
    this.runs.delete(id);
    if (this.runs.size === 0 && this.watcher) (clearInterval(this.watcher), (this.watcher = undefined));
  }
  abortAll(reason: string): void {
    for (const { ctl } of this.runs.values()) ctl.abort(reason);
  }
  async idle(): Promise<void> {
    while (this.runs.size) await Promise.all([...this.runs.values()].map((r) => r.done));
  }
}

/**
 * The local provider: each node is a private Docker engine plus the job's bootstrap, run by
 * this process. Other processes see the nodes through the node table and ask the owner to
 * stop them; nodes of an owner that died are cleaned up by whoever notices first.
 */
export function createLocalFleet(o: LocalFleetOptions): LocalFleet {
  // dockerd wants absolute paths, and SLIPWAY_HOME defaults to the relative ".slipway".
  const home = resolve(o.home);
  const table = new NodeTable(home);
  const now = o.now ?? (() => new Date());
  const runs = new Runs(table);

  function start(rec: LocalNodeRecord, spec: LaunchSpec): void {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort("lifetime"), Math.max(0, spec.expiresAt.getTime() - now().getTime()));
    const onRunning = (pid: number | undefined) =>
      table.update((nodes) => {
        const n = nodes.find((x) => x.id === rec.id);
        if (n && n.state === "launching") Object.assign(n, { state: "running", bootstrapPid: pid, runningAt: now().toISOString() });
      });
    const run = runNode({ id: rec.id, root: rec.root, spec, bootstrap: o.bootstrap, storageDriver: o.storageDriver, signal: ctl.signal, log: o.log, onRunning });
    const done = run.then(async (reason) => {
      clearTimeout(timer);
      await markTerminated(table, rec.id, reason, now());
      runs.remove(rec.id);
    });
    runs.add(rec.id, ctl, done);
  }

  async function launch(spec: LaunchSpec): Promise<NodeRecord> {
    const id = `local-${spec.jobId}-${Math.random().toString(36).slice(2, 8)}`;
    const rec: LocalNodeRecord = {
      id, jobId: spec.jobId, projectId: spec.projectId, state: "launching",
      launchedAt: now().toISOString(), expiresAt: spec.expiresAt.toISOString(),
      ownerPid: process.pid, root: join(home, "nodes", id),
      ...(spec.retryOf !== undefined && { retryOf: spec.retryOf }),
      ...(spec.capacity && { capacity: spec.capacity }),
    };
    // Check and insert under one lock: two launches for a job yield one node.
    const existing = await table.update((nodes) => {
      const found = nodes.find((n) => n.jobId === spec.jobId && n.state !== "terminated");
      if (!found) nodes.push(rec);
      return found;
    });
    if (existing) return publicRecord(existing);
    start(rec, spec);
    return publicRecord(rec);
  }

  async function list(): Promise<NodeRecord[]> {
    for (const n of (await table.read()).filter(ownerGone)) await reapOrphan(table, n, now());
    return (await table.read()).map(publicRecord).sort((a, b) => a.launchedAt.localeCompare(b.launchedAt));
  }

  async function terminate(id: string, reason = "terminated"): Promise<void> {
    const own = runs.get(id);
    if (own) return (own.ctl.abort(reason), own.done);
    const n = (await table.read()).find((x) => x.id === id);
    if (!n || n.state === "terminated") return;
    if (n.ownerPid === process.pid || !processAlive(n.ownerPid)) return reapOrphan(table, n, now());
    await requestStop(table, id, reason);
  }

  async function mark(id: string): Promise<void> {
    await table.update((nodes) => {
      const n = nodes.find((x) => x.id === id);
      if (n) n.markedAt = now().toISOString();
    });
  }

  async function noteInterruption(id: string, note: InterruptionNote): Promise<void> {
    await table.update((nodes) => {
      const n = nodes.find((x) => x.id === id);
      if (n) n.interruption = { ...n.interruption, ...note };
    });
  }

  return {
    launch, list, terminate, mark, noteInterruption,
    idle: () => runs.idle(),
    async [Symbol.asyncDispose]() {
      runs.abortAll("fleet-stopped");
      await runs.idle();
    },
  };
}
