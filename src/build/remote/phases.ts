import type { BuildReport, ImageReport, StagePhases, StageReport } from "../report.ts";

export type Phase = keyof StagePhases;

const round = (s: number) => Math.round(s * 1000) / 1000;

/** Adds `seconds` to a stage's phase. */
export function addPhase(report: StageReport, phase: Phase, seconds: number): void {
  report.phases ??= {};
  report.phases[phase] = round((report.phases[phase] ?? 0) + seconds);
}

/** Runs `fn` and counts its wall time (failed or not) in the stage's phase. */
export async function timed<T>(report: StageReport, phase: Phase, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    addPhase(report, phase, (performance.now() - started) / 1000);
  }
}

/** The stages' phases summed over the build, with the seconds spent writing final manifests. */
export function totalPhases(images: ImageReport[], manifests: number): NonNullable<BuildReport["totals"]["phases"]> {
  const sum = { pull: 0, run: 0, commit: 0, upload: 0, manifests: round(manifests) };
  for (const stage of images.flatMap((i) => i.stages)) {
    for (const phase of ["pull", "run", "commit", "upload"] as const) sum[phase] = round(sum[phase] + (stage.phases?.[phase] ?? 0));
  }
  return sum;
}
