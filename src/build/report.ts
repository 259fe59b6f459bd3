/** The machine-readable result every building command prints with --json (see DESIGN.md). */
export type StageStatus = "built" | "appended" | "local" | "registry" | "pulled" | "missing";

export interface StageReport {
  name: string;
  digest: string;
  status: StageStatus;
  seconds: number;
  bytesPulled: number;
  bytesPushed: number;
  reason: string | null;
  /** Dockerfile stages only: where the instruction is written (`Dockerfile:3`). */
  source?: string;
}

export interface ImageReport {
  name: string;
  digest: string;
  ref: string;
  manifestDigest: string | null;
  stages: StageReport[];
}

export interface BuildReport {
  images: ImageReport[];
  totals: { stagesBuilt: number; containersRun: number; bytesPulled: number; bytesPushed: number; seconds: number };
}

export function totals(images: ImageReport[], containersRun: number, seconds: number): BuildReport["totals"] {
  const stages = images.flatMap((i) => i.stages);
  return {
    stagesBuilt: stages.filter((s) => s.status === "built" || s.status === "appended").length,
    containersRun,
    bytesPulled: stages.reduce((n, s) => n + s.bytesPulled, 0),
    bytesPushed: stages.reduce((n, s) => n + s.bytesPushed, 0),
    seconds: Math.round(seconds * 1000) / 1000,
  };
}
