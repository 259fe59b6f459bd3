import type { Scenario } from "./app.ts";
import { median, ratio } from "./stats.ts";
import type { SlipwayDetail, ToolName } from "./tools.ts";

/** One measured job: one tool, one scenario, one run, on a fresh engine. */
export interface Sample {
  run: number;
  tool: ToolName;
  scenario: Scenario;
  seconds: number;
  /** Blob bytes the registry sent (layers and configs). */
  downloaded: number;
  /** The part of `downloaded` that was layers. */
  layerDownloaded: number;
  /** Bytes of blobs whose upload completed. */
  uploaded: number;
  /** Registry requests of the job (all methods). */
  requests: number;
  /** slipway only: its own report of the job. */
  slipway?: SlipwayDetail;
}

/** Medians of one tool in one scenario, and its ratios to slipway (peer / slipway; 1 for slipway). */
export interface Row {
  scenario: Scenario;
  tool: ToolName;
  runs: number;
  seconds: number;
  downloaded: number;
  uploaded: number;
  /** Largest layer download of any run: a "zero" claim must hold in every run. */
  maxLayerDownloaded: number;
  timeRatio: number | undefined;
  downloadRatio: number | undefined;
  uploadRatio: number | undefined;
}

function group(samples: Sample[], scenario: Scenario, tool: ToolName): Sample[] {
  return samples.filter((s) => s.scenario === scenario && s.tool === tool);
}

export function summarize(samples: Sample[], scenarios: Scenario[], tools: ToolName[]): Row[] {
  return scenarios.flatMap((scenario) => {
    const ours = group(samples, scenario, "slipway");
    const base = ours.length > 0 ? { seconds: median(ours.map((s) => s.seconds)), downloaded: median(ours.map((s) => s.downloaded)), uploaded: median(ours.map((s) => s.uploaded)) } : undefined;
    return tools.flatMap((tool): Row[] => {
      const mine = group(samples, scenario, tool);
      if (mine.length === 0) return [];
      const seconds = median(mine.map((s) => s.seconds));
      const downloaded = median(mine.map((s) => s.downloaded));
      const uploaded = median(mine.map((s) => s.uploaded));
      return [{
        scenario, tool, runs: mine.length, seconds, downloaded, uploaded,
        maxLayerDownloaded: Math.max(...mine.map((s) => s.layerDownloaded)),
        timeRatio: base && ratio(seconds, base.seconds),
        downloadRatio: base && ratio(downloaded, base.downloaded),
        uploadRatio: base && ratio(uploaded, base.uploaded),
      }];
    });
  });
}

export interface TargetResult {
  target: string;
  met: boolean;
  detail: string;
}

function speedTarget(rows: Row[], scenario: Scenario, factor: number): TargetResult {
  const peers = rows.filter((r) => r.scenario === scenario && r.tool !== "slipway");
  const worst = Math.min(...peers.map((r) => r.timeRatio ?? 0));
  const detail = peers.map((r) => `${r.tool} ${(r.timeRatio ?? 0).toFixed(1)}x`).join(", ");
  return { target: `${scenario}: at least ${factor}x faster than every peer`, met: peers.length > 0 && worst >= factor, detail };
}

function zeroLayerTarget(rows: Row[], scenario: Scenario): TargetResult {
  const ours = rows.find((r) => r.scenario === scenario && r.tool === "slipway");
  const bytes = ours?.maxLayerDownloaded;
  return { target: `${scenario}: slipway downloads zero layer bytes`, met: bytes === 0, detail: bytes === undefined ? "not measured" : `${bytes} layer bytes at most in one run` };
}

/** The targets for this 2-core machine and a loopback registry. */
export function targets(rows: Row[]): TargetResult[] {
  return [
    speedTarget(rows, "no change", 10),
    speedTarget(rows, "app change", 4),
    zeroLayerTarget(rows, "no change"),
    zeroLayerTarget(rows, "app change"),
  ];
}
