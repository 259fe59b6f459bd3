import { appendFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startEngine } from "../../src/engine/daemon.ts";
import { blobDownloads, completedUploads, parseAccessLog } from "./access-log.ts";
import type { Scenario } from "./app.ts";
import { addLayerDigests, blobSize } from "./registry-api.ts";
import type { Resources } from "./resources.ts";
import type { Sample, SuiteName } from "./summary.ts";
import { RUNNERS, type Job, type ToolName } from "./tools.ts";

export interface MeasureContext {
  resources: Resources;
  host: string;
  logPath: string;
  base: string;
  cli: string;
  /**
   * Every layer digest any tagged manifest has listed so far, grown after each job.
   * Tags move (a peer's :main points to its newest build), so a layer a job
   * downloaded may be untagged by the end: the set is taken while it is still listed.
   */
  layers: Set<string>;
}

/** dockerd can take over a minute to answer on a machine busy with other engines; the clock is not running yet. */
export const ENGINE_START_MS = 300_000;

/** Which cell of which table a job belongs to. */
export interface JobKey {
  suite: SuiteName;
  tool: ToolName;
  scenario: Scenario;
  run: number;
  variant?: string;
}

/** What the job builds: the tool's part of a Job, without the node. */
export type JobSpec = Pick<Job, "appDir" | "repo" | "dockerfile" | "targets" | "images">;

async function logLines(path: string): Promise<string[]> {
  return (await readFile(path, "utf8")).split("\n");
}

/**
 * Runs one CI job on a fresh engine (root and SLIPWAY_HOME under `scratch`) and
 * measures it: wall seconds of the tool's commands only (engine start and
 * teardown are the node's cost, the same for every tool), and the blob bytes and
 * requests the registry's access log shows for the job.
 */
export async function measure(ctx: MeasureContext, scratch: string, key: JobKey, spec: JobSpec): Promise<Sample> {
  const { value: engine, release } = await ctx.resources.start(`engine in ${scratch}`, () => startEngine({ root: join(scratch, "engine"), timeoutMs: ENGINE_START_MS }), (e) => e.stop());
  try {
    const job: Job = { ...spec, socketPath: engine.socketPath, host: ctx.host, base: ctx.base, cli: ctx.cli, home: join(scratch, "home") };
    const from = (await logLines(ctx.logPath)).length - 1;
    const started = performance.now();
    const slipway = await RUNNERS[key.tool](job);
    const seconds = (performance.now() - started) / 1000;
    await sleep(300); // the registry writes an access line after the response; let the last ones land
    const entries = parseAccessLog((await logLines(ctx.logPath)).slice(from).join("\n"));
    if (process.env.BENCH_REQUESTS) await appendFile(process.env.BENCH_REQUESTS, `${JSON.stringify({ ...key, requests: entries.map((e) => `${e.method} ${e.path}${e.query} ${e.status}`) })}\n`);
    let uploaded = 0;
    for (const u of completedUploads(entries)) uploaded += await blobSize(ctx.host, u.repo, u.digest);
    // After the log is read, so these reads are not counted as the job's (nor the next one's).
    await addLayerDigests(ctx.host, ctx.layers, spec.repo);
    const downloads = blobDownloads(entries);
    const downloaded = downloads.reduce((sum, d) => sum + d.bytes, 0);
    const layerDownloaded = downloads.filter((d) => ctx.layers.has(d.digest)).reduce((sum, d) => sum + d.bytes, 0);
    return { ...key, seconds, downloaded, layerDownloaded, uploaded, requests: entries.length, ...(slipway ? { slipway } : {}) };
  } finally {
    await release();
  }
}
