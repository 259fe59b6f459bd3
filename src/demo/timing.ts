import { readFile } from "node:fs/promises";
import type { NodeRecord } from "../fleet/types.ts";

/**
 * Time to start, per job, in seconds: the four legs from the Job Hook to the job's first
 * step. On the local fleet: the webhook POST; the launcher's fleet.launch (the node
 * record's launchedAt); the node's private engine answering and its bootstrap started
 * (runningAt); the runner up (the job script's first line: there is no registration
 * round trip locally); the job begun (before its checkout, where GitLab's started_at is).
 */
export interface StartupTimes {
  webhookToLaunch: number;
  launchToRunning: number;
  runningToRegistered: number;
  registeredToStarted: number;
  /** Sum of the four legs: Job Hook to the job's first step. */
  total: number;
}

/** Marks the job script writes (epoch ms), one `name=value` per line. */
export const TIMING_FILE = "slipway-timing.env";

export async function readMarks(path: string): Promise<Record<string, number>> {
  const text = await readFile(path, "utf8").catch(() => "");
  const marks: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^(\w+)=(\d{13})$/.exec(line.trim());
    if (m) marks[m[1]] = Number(m[2]);
  }
  return marks;
}

const seconds = (from: number, to: number) => Math.max(0, Math.round(to - from)) / 1000;

/** undefined when a point is missing (a node that never ran, a script that wrote no marks). */
export function startupTimes(hookAt: number, node: Pick<NodeRecord, "launchedAt" | "runningAt">, marks: Record<string, number>): StartupTimes | undefined {
  const launch = Date.parse(node.launchedAt);
  const running = Date.parse(node.runningAt ?? "");
  const { registered, started } = marks;
  if ([launch, running, registered, started].some((t) => t === undefined || Number.isNaN(t))) return undefined;
  const legs = { webhookToLaunch: seconds(hookAt, launch), launchToRunning: seconds(launch, running), runningToRegistered: seconds(running, registered), registeredToStarted: seconds(registered, started) };
  return { ...legs, total: seconds(hookAt, started) };
}
