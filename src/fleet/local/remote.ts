import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { removeNodeRoot } from "./mounts.ts";
import { processAlive, type LocalNodeRecord, type NodeTable } from "./state.ts";

/** Operations on nodes another process runs (or ran), through the node table only. */

export function markTerminated(table: NodeTable, id: string, reason: string, at: Date): Promise<void> {
  return table.update((nodes) => {
    const n = nodes.find((x) => x.id === id);
    if (n && n.state !== "terminated") Object.assign(n, { state: "terminated", terminatedAt: at.toISOString(), reason });
  });
}

function kill(pid: number | undefined, group: boolean): void {
  if (!pid) return;
  try {
    process.kill(group ? -pid : pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

export const ownerGone = (n: LocalNodeRecord) => n.state !== "terminated" && n.ownerPid !== process.pid && !processAlive(n.ownerPid);

/** Cleans up after an owner that died: its processes, its data root, its record. */
export async function reapOrphan(table: NodeTable, n: LocalNodeRecord, at: Date): Promise<void> {
  kill(n.bootstrapPid, true);
  const pid = Number(await readFile(join(n.root, "engine", "dockerd.pid"), "utf8").catch(() => ""));
  if (pid > 0) kill(pid, false);
  await removeNodeRoot(n.root).catch(() => undefined);
  await markTerminated(table, n.id, "owner-gone", at);
}

/** Asks the owning process to stop a node and waits (up to `timeoutMs`) until it has. */
export async function requestStop(table: NodeTable, id: string, reason: string, timeoutMs = 30_000): Promise<void> {
  await table.update((nodes) => {
    const n = nodes.find((x) => x.id === id);
    if (n) n.stopRequested = reason;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const cur = (await table.read()).find((x) => x.id === id);
    if (!cur || cur.state === "terminated") return;
    await sleep(250);
  }
}
