import type { Scenario } from "./app.ts";
import { modelledSeconds, type Link } from "./link.ts";
import { PHASES, type Phases, type SlipwayDetail } from "./report.ts";
import { median, ratio } from "./stats.ts";
import { isPeer, PEERS, type PeerName, type ToolName } from "./tools.ts";

export type SuiteName = "app" | "cache" | "multi";

/** One measured job: one tool, one scenario, one run, on a fresh engine. */
export interface Sample {
  suite: SuiteName;
  run: number;
  tool: ToolName;
  scenario: Scenario;
  /** What the job built when a suite has several kinds of job (multi: "all" or one image alone). */
  variant?: string;
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

/** Medians of one tool in one scenario (and variant). */
export interface Row {
  suite: SuiteName;
  scenario: Scenario;
  tool: ToolName;
  variant?: string;
  runs: number;
  seconds: number;
  /** Median of each run's seconds plus what the modelled link adds to it. */
  modelledSeconds: number;
  downloaded: number;
  uploaded: number;
  requests: number;
  /** Largest layer download of any run: a "zero" claim must hold in every run. */
  maxLayerDownloaded: number;
  /** slipway rows: median of each phase over the runs whose report has it. */
  phases?: Phases;
  /** slipway rows: peer seconds / these seconds, per peer of the same scenario and variant (above 1: slipway faster). */
  speedup?: Partial<Record<PeerName, number | undefined>>;
  /** The same over the modelled link. */
  modelledSpeedup?: Partial<Record<PeerName, number | undefined>>;
}

const key = (s: { scenario: Scenario; tool: ToolName; variant?: string }) => `${s.scenario}\0${s.tool}\0${s.variant ?? ""}`;

function medianPhases(samples: Sample[]): Phases | undefined {
  const out: Phases = {};
  for (const phase of PHASES) {
    const values = samples.flatMap((s) => (s.slipway?.phases?.[phase] === undefined ? [] : [s.slipway.phases[phase]!]));
    if (values.length > 0) out[phase] = median(values);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function row(group: Sample[], l: Link): Row {
  const [first] = group;
  const m = (f: (s: Sample) => number) => median(group.map(f));
  const phases = isPeer(first.tool) ? undefined : medianPhases(group);
  return {
    suite: first.suite, scenario: first.scenario, tool: first.tool, ...(first.variant ? { variant: first.variant } : {}),
    runs: group.length, seconds: m((s) => s.seconds), modelledSeconds: m((s) => modelledSeconds(l, s)),
    downloaded: m((s) => s.downloaded), uploaded: m((s) => s.uploaded), requests: m((s) => s.requests),
    maxLayerDownloaded: Math.max(...group.map((s) => s.layerDownloaded)),
    ...(phases ? { phases } : {}),
  };
}

function withSpeedups(rows: Row[]): Row[] {
  const find = (r: Row, peer: PeerName) => rows.find((p) => p.tool === peer && p.scenario === r.scenario && p.variant === r.variant);
  return rows.map((r) => {
    if (isPeer(r.tool)) return r;
    const peers = PEERS.flatMap((p) => { const pr = find(r, p); return pr ? [[p, pr] as const] : []; });
    if (peers.length === 0) return r;
    return {
      ...r,
      speedup: Object.fromEntries(peers.map(([p, pr]) => [p, ratio(pr.seconds, r.seconds)])),
      modelledSpeedup: Object.fromEntries(peers.map(([p, pr]) => [p, ratio(pr.modelledSeconds, r.modelledSeconds)])),
    };
  });
}

/** Rows of one suite, in scenario order, then tool order, then variant order of first appearance. */
export function summarize(samples: Sample[], suite: SuiteName, scenarios: Scenario[], tools: ToolName[], l: Link): Row[] {
  const mine = samples.filter((s) => s.suite === suite);
  const groups = new Map<string, Sample[]>();
  for (const scenario of scenarios) for (const tool of tools) for (const s of mine) {
    if (s.scenario !== scenario || s.tool !== tool) continue;
    const k = key(s);
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  return withSpeedups([...groups.values()].map((g) => row(g, l)));
}
