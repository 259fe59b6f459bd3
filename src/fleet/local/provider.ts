import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Fleet, LaunchSpec, NodeRecord } from "../types.ts";
import type { BootstrapOptions } from "./bootstrap.ts";
import { runNode } from "./node.ts";
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

function kill(pid: number | undefined, group: boolean): void {
  if (!pid) return;
  try {
    process.kill(group ? -pid : pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

/**
 * The local provider: each node is a private Docker engine plus the job's bootstrap, run by
 * this process. Other processes see the nodes through the node table and ask the owner to
 * stop them; nodes of an owner that died are cleaned up by whoever notices first.
 */
export function createLocalFleet(o: LocalFleetOptions): LocalFleet {
  const table = new NodeTable(o.home);
  const now = o.now ?? (() => new Date());
  const running = new Map<string, { ctl: AbortController; done: Promise<void> }>();
  let watcher: ReturnType<typeof setInterval> | undefined;

  const finish = (id: string, reason: string) =>
    table.update((nodes) => {
      const n = nodes.find((x) => x.id === id);
      if (n && n.state !== "terminated") Object.assign(n, { state: "terminated", terminatedAt: now().toISOString(), reason });
    });

  /** Polls the table for stop requests from other processes (`functions run reaper`). */
  function watch(): void {
    if (watcher) return;
    watcher = setInterval(() => {
      void table.read().then((nodes) => {
        for (const n of nodes) if (n.stopRequested && running.has(n.id)) running.get(n.id)?.ctl.abort(n.stopRequested);
      }, () => undefined);
    }, 500);
    watcher.unref();
  }

  async function start(rec: LocalNodeRecord, spec: LaunchSpec): Promise<void> {
    const ctl = new AbortController();
    const ttl = Math.max(0, spec.expiresAt.getTime() - now().getTime());
    const timer = setTimeout(() => ctl.abort("lifetime"), ttl);
    const done = runNode({
      id: rec.id, root: rec.root, spec, bootstrap: o.bootstrap, storageDriver: o.storageDriver, signal: ctl.signal, log: o.log,
      onRunning: (pid) => table.update((nodes) => {
        const n = nodes.find((x) => x.id === rec.id);
        if (n && n.state === "launching") Object.assign(n, { state: "running", bootstrapPid: pid });
      }),
    }).then(async (reason) => {
      clearTimeout(timer);
      await finish(rec.id, reason);
      running.delete(rec.id);
      if (running.size === 0 && watcher) (clearInterval(watcher), (watcher = undefined));
    });
    running.set(rec.id, { ctl, done });
    watch();
  }

  /** Cleans up after an owner that died: its processes, its data root, its record. */
  async function reapOrphan(n: LocalNodeRecord): Promise<void> {
    kill(n.bootstrapPid, true);
    const pid = Number(await readFile(join(n.root, "engine", "dockerd.pid"), "utf8").catch(() => ""));
    if (pid > 0) kill(pid, false);
    await rm(n.root, { recursive: true, force: true, maxRetries: 3 });
    await finish(n.id, "owner-gone");
  }

  async function list(): Promise<NodeRecord[]> {
    const nodes = await table.read();
    for (const n of nodes) if (n.state !== "terminated" && n.ownerPid !== process.pid && !processAlive(n.ownerPid)) await reapOrphan(n);
    return (await table.read()).map(publicRecord);
  }

  async function terminate(id: string, reason = "terminated"): Promise<void> {
    const own = running.get(id);
    if (own) {
      own.ctl.abort(reason);
      return own.done;
    }
    const n = (await table.read()).find((x) => x.id === id);
    if (!n || n.state === "terminated") return;
    if (!processAlive(n.ownerPid) || n.ownerPid === process.pid) return reapOrphan(n);
    await table.update((nodes) => Object.assign(nodes.find((x) => x.id === id) ?? {}, { stopRequested: reason }));
    for (let i = 0; i < 120; i++) {
      const cur = (await table.read()).find((x) => x.id === id);
      if (!cur || cur.state === "terminated") return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function launch(spec: LaunchSpec): Promise<NodeRecord> {
    const id = `local-${spec.jobId}-${Math.random().toString(36).slice(2, 8)}`;
    const rec: LocalNodeRecord = {
      id, jobId: spec.jobId, projectId: spec.projectId, state: "launching",
      launchedAt: now().toISOString(), expiresAt: spec.expiresAt.toISOString(),
      ownerPid: process.pid, root: join(o.home, "nodes", id),
    };
    // Check and insert under one lock: two launches for a job yield one node.
    const existing = await table.update((nodes) => {
      const found = nodes.find((n) => n.jobId === spec.jobId && n.state !== "terminated");
      if (!found) nodes.push(rec);
      return found;
    });
    if (existing) return publicRecord(existing);
    await start(rec, spec);
    return publicRecord(rec);
  }

  async function idle(): Promise<void> {
    while (running.size) await Promise.all([...running.values()].map((r) => r.done));
  }

  return {
    launch, list, terminate, idle,
    mark: (id) => table.update((nodes) => Object.assign(nodes.find((x) => x.id === id) ?? {}, { markedAt: now().toISOString() })).then(() => undefined),
    async [Symbol.asyncDispose]() {
      for (const { ctl } of running.values()) ctl.abort("fleet-stopped");
      await idle();
    },
  };
}
