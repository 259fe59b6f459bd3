import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { processAlive, NodeTable, type LocalNodeRecord } from "../../../src/fleet/local/state.ts";

/** Polls the node table until `pred` holds for the node of `jobId`; returns that record. */
export async function waitForNode(home: string, jobId: number, pred: (n: LocalNodeRecord) => boolean, timeoutMs = 60_000): Promise<LocalNodeRecord> {
  const table = new NodeTable(home);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = (await table.read()).find((x) => x.jobId === jobId);
    if (n && pred(n)) return n;
    if (Date.now() > deadline) throw new Error(`node for job ${jobId}: condition not met; last ${JSON.stringify(n)}`);
    await sleep(100);
  }
}

/** The pids of a running node: its dockerd (from the pidfile) and its job process. */
export async function nodePids(n: LocalNodeRecord): Promise<number[]> {
  const dockerd = Number(await readFile(join(n.root, "engine", "dockerd.pid"), "utf8").catch(() => "0"));
  return [dockerd, n.bootstrapPid ?? 0].filter((p) => p > 0);
}

export const anyAlive = (pids: number[]) => pids.some((p) => processAlive(p));
