import type { BuildReport, StageReport } from "../build/report.ts";
import type { StartupTimes } from "./timing.ts";

/** One job of the story, once its node is gone: what the artifacts say happened. */
export interface JobResult {
  step: string;
  jobId: number;
  nodeId: string;
  ref: string;
  /** Why the node ended, from the fleet ("job-finished (exit 0)"). */
  outcome: string;
  ok: boolean;
  /** From the Job Hook POST to the node's teardown. */
  wallSeconds: number;
  /** Time to start, leg by leg (see timing.ts); absent when the node or the script left no mark. */
  startup?: StartupTimes;
  /** `slipway bp --report` (and `stages pull --report`, when a job runs it), uploaded as artifacts. */
  pull?: BuildReport;
  bp?: BuildReport;
  /** The dotenv report: SLIPWAY_IMAGE_<NAME>=repo@sha256:... */
  dotenv?: Record<string, string>;
}

export interface SummaryRow {
  step: string;
  node: string;
  built: number;
  appended: number;
  reused: number;
  containersRun: number;
  bytesPulled: number;
  bytesPushed: number;
  bpSeconds: number;
  wallSeconds: number;
  startup?: StartupTimes;
}

export const stagesOf = (r?: BuildReport): StageReport[] => r?.images.flatMap((i) => i.stages) ?? [];

export function summaryRow(j: JobResult): SummaryRow {
  const stages = stagesOf(j.bp);
  const count = (pred: (s: StageReport) => boolean) => stages.filter(pred).length;
  return {
    step: j.step,
    node: j.nodeId,
    built: count((s) => s.status === "built"),
    appended: count((s) => s.status === "appended"),
    reused: count((s) => s.status === "local" || s.status === "registry" || s.status === "pulled"),
    containersRun: (j.pull?.totals.containersRun ?? 0) + (j.bp?.totals.containersRun ?? 0),
    bytesPulled: (j.pull?.totals.bytesPulled ?? 0) + (j.bp?.totals.bytesPulled ?? 0),
    bytesPushed: (j.pull?.totals.bytesPushed ?? 0) + (j.bp?.totals.bytesPushed ?? 0),
    bpSeconds: j.bp?.totals.seconds ?? 0,
    wallSeconds: j.wallSeconds,
    ...(j.startup && { startup: j.startup }),
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const HEADERS = ["job", "built", "appended", "reused", "containers", "pulled", "pushed", "bp s", "job s", "hook→launch", "→node", "→runner", "→job"];

const leg = (n: number | undefined) => (n === undefined ? "-" : n.toFixed(2));

/** The summary as a plain-text table (columns padded; numbers right-aligned). */
export function formatSummary(rows: SummaryRow[]): string {
  const cells = rows.map((r) => [
    r.step, String(r.built), String(r.appended), String(r.reused), String(r.containersRun),
    formatBytes(r.bytesPulled), formatBytes(r.bytesPushed), r.bpSeconds.toFixed(1), r.wallSeconds.toFixed(1),
    leg(r.startup?.webhookToLaunch), leg(r.startup?.launchToRunning), leg(r.startup?.runningToRegistered), leg(r.startup?.registeredToStarted),
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join("  ").trimEnd();
  return [line(HEADERS), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n") + "\n";
}
