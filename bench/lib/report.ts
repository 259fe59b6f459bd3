/**
 * What the bench reads from slipway's own `bp --json` report: stage statuses and
 * seconds, and the per-phase wall times where the report carries them (TEAM.md's
 * agreed shape: `stages[].phases` and `totals.phases`, in seconds). A phase the
 * report does not carry stays absent; the tables show "–", never a guess.
 */
export const PHASES = ["pull", "run", "commit", "upload", "manifests"] as const;
export type Phase = (typeof PHASES)[number];
export type Phases = Partial<Record<Phase, number>>;

/** What slipway's own report says about a job: where its time went, seen from inside. */
export interface SlipwayDetail {
  /** Stage name (`image.stage` when the image has a name) -> status, e.g. {install: "registry"}. */
  stages: Record<string, string>;
  /** Stage name -> seconds `bp` spent on it. */
  stageSeconds: Record<string, number>;
  /** Stage name -> its phases, for the stages whose report has any. */
  stagePhases?: Record<string, Phases>;
  /** totals.seconds of `bp`: time inside the library, without process start-up. */
  bpSeconds: number;
  /** totals.phases, when the report has them. */
  phases?: Phases;
}

interface StageDoc { name: string; status: string; seconds: number; phases?: unknown }
interface ReportDoc {
  images: { name: string; stages: StageDoc[] }[];
  totals: { seconds: number; phases?: unknown };
}

/** The finite, non-negative numbers of a `phases` object under the known phase names. */
export function readPhases(value: unknown): Phases | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const out: Phases = {};
  for (const phase of PHASES) {
    const v = (value as Record<string, unknown>)[phase];
    if (typeof v === "number" && Number.isFinite(v) && v >= 0) out[phase] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function slipwayDetail(doc: unknown): SlipwayDetail {
  const report = doc as ReportDoc;
  if (!Array.isArray(report?.images) || typeof report.totals?.seconds !== "number") throw new Error("bp --json printed no build report");
  const stages = report.images.flatMap((i) => i.stages.map((s) => ({ ...s, name: i.name ? `${i.name}.${s.name}` : s.name })));
  const stagePhases = Object.fromEntries(stages.flatMap((s) => {
    const p = readPhases(s.phases);
    return p ? [[s.name, p]] : [];
  }));
  const phases = readPhases(report.totals.phases);
  return {
    stages: Object.fromEntries(stages.map((s) => [s.name, s.status])),
    stageSeconds: Object.fromEntries(stages.map((s) => [s.name, s.seconds])),
    ...(Object.keys(stagePhases).length > 0 ? { stagePhases } : {}),
    bpSeconds: report.totals.seconds,
    ...(phases ? { phases } : {}),
  };
}
