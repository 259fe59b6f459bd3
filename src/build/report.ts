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
  /**
   * Stages whose commands ran with a dependency cache kept in the registry only: bytes
   * of cache downloaded before the run, and uploaded after it (0 when unchanged).
   */
  cacheBytesRestored?: number;
  cacheBytesSaved?: number;
  /** bp, push and stages push: seconds of this stage's engine and registry work, by phase (see StagePhases). */
  phases?: StagePhases;
}

/**
 * Where a stage's time went. pull: getting its parent (or an import source) into the
 * engine; run: the container; commit: turning the container into the stage image;
 * upload: publishing the stage to the registry. Overlapped work counts in full.
 */
export interface StagePhases {
  pull?: number;
  run?: number;
  commit?: number;
  upload?: number;
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
  totals: {
    stagesBuilt: number; containersRun: number; bytesPulled: number; bytesPushed: number; seconds: number;
    /** bp, push and stages push: the stages' phases summed, and manifests (final image manifests and tags). */
    phases?: Required<StagePhases> & { manifests: number };
    /** Present when some stage used a registry dependency cache: the sums of the stages' fields. */
    cacheBytesRestored?: number; cacheBytesSaved?: number;
  };
}

export function totals(images: ImageReport[], containersRun: number, seconds: number): BuildReport["totals"] {
  const stages = images.flatMap((i) => i.stages);
  return {
    stagesBuilt: stages.filter((s) => s.status === "built" || s.status === "appended").length,
    containersRun,
    bytesPulled: stages.reduce((n, s) => n + s.bytesPulled, 0),
    bytesPushed: stages.reduce((n, s) => n + s.bytesPushed, 0),
    seconds: Math.round(seconds * 1000) / 1000,
    ...(stages.some((s) => s.cacheBytesRestored !== undefined) && {
      cacheBytesRestored: stages.reduce((n, s) => n + (s.cacheBytesRestored ?? 0), 0),
      cacheBytesSaved: stages.reduce((n, s) => n + (s.cacheBytesSaved ?? 0), 0),
    }),
  };
}
